import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { SimulatorPool, type PoolRunOptions, type SimulationRequest, type SimulationResult } from '../simulator';

/**
 * The process's simulator worker threads, one per concurrently executed job (config.workerConcurrency),
 * started on demand (an API-only process never starts one) and terminated on shutdown.
 */
@Injectable()
export class SimulatorPoolService implements OnApplicationShutdown {
  private pool?: SimulatorPool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  run(req: SimulationRequest, opts: PoolRunOptions = {}): Promise<SimulationResult[]> {
    this.pool ??= new SimulatorPool({ size: this.config.workerConcurrency, progressIntervalMs: 100 });
    return this.pool.run(req, opts);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
