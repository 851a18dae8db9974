import { availableParallelism } from 'node:os';
import { HttpException, HttpStatus, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import {
  canParse,
  CircuitError,
  CutError,
  MAX_CUT_SUBEXPERIMENTS,
  ParseTimeoutError,
  SimulationWorkerError,
  SimulatorPool,
  type CutSummary,
} from '../quantum';
import type { Principal } from '../auth/principal';
import { Unprocessable } from '../common/errors';
import type { ProgramInputDto } from './dto/deployment.dto';

/** Uploads of one user validated at once (one parses, the others wait their turn); more answer 429. */
export const UPLOADS_PER_USER = 4;

/** 429: the user has UPLOADS_PER_USER uploads in validation already. */
export class TooManyUploads extends HttpException {
  constructor() {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `${UPLOADS_PER_USER} uploads of yours are being validated already; send this one when one of them has been answered`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Work of each user done one piece at a time, in order, with at most `limit` pieces waiting or
 * running per user; beyond that `turnOf` throws `tooMany()`. Different users do not wait for each
 * other. Used for uploads (ProgramValidator) and translations, so that one user keeps at most one
 * engine thread busy.
 */
export class UserTurns {
  private readonly users = new Map<string, { tail: Promise<void>; pending: number }>();

  constructor(
    private readonly limit: number,
    private readonly tooMany: () => Error,
  ) {}

  /** Waits until no other piece of this user's work runs; answers the function that ends this one's turn. */
  async turnOf(key: string): Promise<() => void> {
    let queue = this.users.get(key);
    if (!queue) {
      queue = { tail: Promise.resolve(), pending: 0 };
      this.users.set(key, queue);
    }
    if (queue.pending >= this.limit) throw this.tooMany();
    const q = queue;
    q.pending++;
    const before = q.tail;
    let end!: () => void;
    q.tail = new Promise<void>((resolve) => (end = resolve));
    await before;
    return () => {
      end();
      if (--q.pending === 0 && this.users.get(key) === q) this.users.delete(key);
    };
  }
}

/** A small pool of engine threads for work done at a request (parse, translate), bounded as parses are. */
export function requestPool(config: AppConfig): SimulatorPool {
  return new SimulatorPool({
    size: Math.max(2, Math.floor(availableParallelism() / 2)),
    resourceLimits: { maxOldGenerationSizeMb: config.engineThreadHeapMb },
  });
}

/**
 * Parses, through the engine's front ends, every program of a deployment whose language the engine
 * reads, before it is stored: a bad program is refused with 422 and {programIndex, line, column,
 * message}. Programs in other languages are stored as they are and refused when a job tries to run them.
 *
 * Parsing is off the event loop, in a small pool of engine threads of its own (so uploads and jobs
 * never wait for each other's threads), with these bounds, each answered with 422 naming the
 * program and the setting: a program's parse time (PARSE_TIMEOUT_SECONDS: the thread is
 * terminated), the parse time of one upload's programs together (UPLOAD_PARSE_SECONDS), the heap of
 * a thread (ENGINE_THREAD_HEAP_MB) and the operations a program expands to (MAX_CIRCUIT_OPERATIONS).
 * A user's uploads are validated one at a time, so one user keeps at most one thread busy;
 * beyond UPLOADS_PER_USER waiting, 429.
 */
@Injectable()
export class ProgramValidator implements OnApplicationShutdown {
  private pool?: SimulatorPool;
  private readonly turns = new UserTurns(UPLOADS_PER_USER, () => new TooManyUploads());

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async validate(programs: ProgramInputDto[], user: Principal): Promise<void> {
    if (!programs.some((p) => canParse(p.assemblerLanguage))) return;
    const done = await this.turns.turnOf(user.userId ?? '');
    try {
      await this.parseAll(programs);
    } finally {
      done();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * Plans the circuit cut of a job's `cutToWidth` for each of its programs, in an engine thread of
   * this pool (as parses are): answers each program's plan (null: no wider than the width, runs
   * uncut), or refuses with 422 naming `cutToWidth` when a program cannot be cut to that width
   * within MAX_CUT_SUBEXPERIMENTS sub-experiments (or at all: a gate wider than the width, a
   * mid-circuit measurement). With an ESTIMATOR job's `observables`, each program is planned as
   * measured in each observable's basis (what the run cuts).
   */
  async planCuts(
    programs: { assemblerLanguage: string; quantumCircuit: string }[],
    width: number,
    observables?: string[],
  ): Promise<(CutSummary | null)[]> {
    const out: (CutSummary | null)[] = [];
    for (let programIndex = 0; programIndex < programs.length; programIndex++) {
      const program = programs[programIndex];
      if (!canParse(program.assemblerLanguage)) {
        throw new Unprocessable(
          `cutToWidth: program ${programIndex} is written in ${program.assemblerLanguage}, which this service's engine does not read, so it cannot cut it`,
          { field: 'cutToWidth', programIndex },
        );
      }
      try {
        const summary = await this.threads().parse(
          {
            language: program.assemblerLanguage,
            source: program.quantumCircuit,
            maxOperations: this.config.maxCircuitOperations,
            planCut: { width, maxSubexperiments: MAX_CUT_SUBEXPERIMENTS, observables },
          },
          { timeoutMs: this.config.parseTimeoutSeconds * 1000 },
        );
        out.push(summary.cut ?? null);
      } catch (err) {
        if (err instanceof CutError) {
          throw new Unprocessable(`cutToWidth ${width}: program ${programIndex} cannot be cut: ${err.message}`, {
            field: 'cutToWidth',
            programIndex,
            reason: err.reason,
            ...(err.subexperiments !== undefined && {
              subexperiments: err.subexperiments,
              maxSubexperiments: err.limit,
            }),
          });
        }
        const refused = this.refusal(err, programIndex, false);
        if (refused !== err) throw refused;
        // Anything else the engine threw while planning: still this job's setting, never a 500.
        throw new Unprocessable(
          `cutToWidth ${width}: the cut of program ${programIndex} could not be planned: ${(err as Error)?.message ?? String(err)}`,
          { field: 'cutToWidth', programIndex },
        );
      }
    }
    return out;
  }

  private async parseAll(programs: ProgramInputDto[]): Promise<void> {
    const perProgramMs = this.config.parseTimeoutSeconds * 1000;
    const budgetMs = this.config.uploadParseSeconds * 1000;
    let spentMs = 0;
    for (let programIndex = 0; programIndex < programs.length; programIndex++) {
      const program = programs[programIndex];
      if (!canParse(program.assemblerLanguage)) continue;
      const timeoutMs = Math.max(1, Math.min(perProgramMs, budgetMs - spentMs));
      try {
        const summary = await this.threads().parse(
          {
            language: program.assemblerLanguage,
            source: program.quantumCircuit,
            maxOperations: this.config.maxCircuitOperations,
          },
          { timeoutMs },
        );
        spentMs += summary.parseMs;
      } catch (err) {
        throw this.refusal(err, programIndex, timeoutMs < perProgramMs);
      }
    }
  }

  private refusal(err: unknown, programIndex: number, budgetWasTheLimit: boolean): unknown {
    const where = `programs[${programIndex}]`;
    if (err instanceof CircuitError) {
      return new Unprocessable(`${where}: ${err.message}`, {
        programIndex,
        line: err.line,
        column: err.column,
        reason: err.reason,
      });
    }
    if (err instanceof ParseTimeoutError) {
      const reason = budgetWasTheLimit
        ? `the programs of this upload took too long to parse: more than ${this.config.uploadParseSeconds} s in all (UPLOAD_PARSE_SECONDS)`
        : `took too long to parse: more than ${this.config.parseTimeoutSeconds} s (PARSE_TIMEOUT_SECONDS)`;
      return new Unprocessable(`${where}: ${reason}`, {
        programIndex,
        reason,
        limit: budgetWasTheLimit ? 'UPLOAD_PARSE_SECONDS' : 'PARSE_TIMEOUT_SECONDS',
      });
    }
    if (err instanceof SimulationWorkerError && err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const reason = `needs more memory to parse than the ${this.config.engineThreadHeapMb} MB an engine thread may use (ENGINE_THREAD_HEAP_MB)`;
      return new Unprocessable(`${where}: ${reason}`, { programIndex, reason, limit: 'ENGINE_THREAD_HEAP_MB' });
    }
    return err;
  }

  private threads(): SimulatorPool {
    this.pool ??= requestPool(this.config);
    return this.pool;
  }
}
