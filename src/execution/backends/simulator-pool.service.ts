import { availableParallelism } from 'node:os';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { SimulatorPool, type PoolRunOptions, type SimulationRequest, type SimulationResult } from '../../quantum';

/**
 * The process's simulator worker threads, shared by every backend that runs on our engine: one per
 * job executed at once (config.workerConcurrency), but no more than the machine has cores (more jobs
 * than that may be in flight, waiting on the database; their simulations queue for a thread).
 * Started on demand (an API-only process never starts one), terminated on shutdown.
 */
@Injectable()
export class SimulatorPoolService implements OnApplicationShutdown {
  private pool?: SimulatorPool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  run(req: SimulationRequest, opts: PoolRunOptions = {}): Promise<SimulationResult[]> {
    this.pool ??= new SimulatorPool({
      size: Math.min(this.config.workerConcurrency, availableParallelism()),
      progressIntervalMs: 100,
    });
    return this.pool.run(req, opts);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
