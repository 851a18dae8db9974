import { availableParallelism } from 'node:os';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import {
  SimulatorPool,
  type PoolRunOptions,
  type ProgramRequest,
  type ProgramRunOptions,
  type ProgramRunResult,
  type SimulationRequest,
  type SimulationResult,
  type LaidOutTranslation,
  type TranslateRequest,
} from '../../quantum';

/**
 * The process's simulator worker threads, shared by every backend that runs on our engine: one per
 * job executed at once (config.workerConcurrency), but no more than the machine has cores (more jobs
 * than that may be in flight, waiting on the database; their simulations queue for a thread).
 * Each thread's heap is bounded (ENGINE_THREAD_HEAP_MB): a program that needs more kills its
 * thread, which is replaced, never the process. Started on demand (an API-only process never
 * starts one), terminated on shutdown.
 */
@Injectable()
export class SimulatorPoolService implements OnApplicationShutdown {
  private pool?: SimulatorPool;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Simulates a circuit already built in this thread. */
  run(req: SimulationRequest, opts: PoolRunOptions = {}): Promise<SimulationResult[]> {
    return this.threads().run(req, opts);
  }

  /** Parses a program from its text and simulates it, both in a thread of the pool. */
  runProgram(req: ProgramRequest, opts: ProgramRunOptions = {}): Promise<ProgramRunResult> {
    return this.threads().runProgram(req, opts);
  }

  /** Translates a program in a thread of the pool (with its layout when asked): what remote backends send. */
  translate(req: TranslateRequest, timeoutMs?: number): Promise<LaidOutTranslation> {
    return this.threads().translate(req, { timeoutMs });
  }

  private threads(): SimulatorPool {
    this.pool ??= new SimulatorPool({
      size: Math.min(this.config.workerConcurrency, availableParallelism()),
      progressIntervalMs: 100,
      resourceLimits: { maxOldGenerationSizeMb: this.config.engineThreadHeapMb },
    });
    return this.pool;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }
}
