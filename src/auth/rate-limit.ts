import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

export const LIMIT_JOB_SUBMISSIONS = 'qunest:limitJobSubmissions';

/**
 * Marks a route that submits a job (POST /api/jobs, rerun): the global AuthGuard counts it against
 * RATE_LIMIT_JOBS_PER_MINUTE for the caller (the user, or the client IP when anonymous). Only
 * accepted submissions count: one that is answered with an error is given back.
 */
export const LimitJobSubmissions = () => SetMetadata(LIMIT_JOB_SUBMISSIONS, true);

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the caller may submit again (0 when allowed). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

/**
 * Fixed-window counter per caller: a window opens with the caller's first submission and lasts a
 * minute; at most `jobsPerMinute` submissions fall into it. In memory of this process: with N API
 * processes behind a balancer a caller gets up to N times the limit (documented in docs/decisions).
 */
@Injectable()
export class JobSubmissionLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get limit(): number {
    return this.config.auth.jobsPerMinute;
  }

  /** Counts one submission of `key` at `now` and says whether it is allowed. */
  take(key: string, now = Date.now()): RateDecision {
    const limit = this.limit;
    if (limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + WINDOW_MS - now) / 1000)) };
    }
    w.count += 1;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /**
   * Gives back a submission that {@link take} counted at `takenAt` and that was refused after all
   * (invalid, not found, ...), so that only accepted submissions use up the limit. Nothing happens
   * when that window has ended meanwhile (the next one never counted it).
   */
  release(key: string, takenAt: number): void {
    const w = this.windows.get(key);
    if (!w || takenAt < w.start || takenAt - w.start >= WINDOW_MS || w.count === 0) return;
    w.count -= 1;
  }

  /** Forgets windows that have ended, at most once a window, so that the map does not grow without end. */
  private sweep(now: number): void {
    if (now - this.lastSweep < WINDOW_MS) return;
    this.lastSweep = now;
    for (const [key, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(key);
  }
}
