import { MikroORM } from '@mikro-orm/postgresql';
import { Controller, Get, Inject, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { AllowAnonymous } from '../auth/allow-anonymous.decorator';
import { PeriodicTasks } from '../common/periodic-tasks';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** How much event-loop time the database has to answer `select 1` before it counts as down. */
export const DATABASE_TIMEOUT_MS = 3000;
/** The event-loop delay reported is that of the last this many seconds. */
export const EVENT_LOOP_WINDOW_SECONDS = 10;
/** Sampling period of the event-loop delay histogram. */
const RESOLUTION_MS = 10;
/** Step of the database check's clock: a loop blocked for longer counts as one step, not as its length. */
const TICK_MS = 100;

interface Second {
  p99Ms: number;
  maxMs: number;
}

const ms = (ns: number) => Math.round(ns / 1e5) / 10;

/**
 * GET /api/health: the database, and the event loop of this process, reported apart, so that a busy
 * loop never reads as "database down".
 *
 * - database: `select 1` must answer within {@link DATABASE_TIMEOUT_MS} of event-loop time, measured
 *   from when it is sent; a blocked loop does not use that time up (the clock advances one step per
 *   timer, however late the timer fires), and an answer that arrived while the loop was blocked is
 *   read before the check gives up. Down: 503.
 * - eventLoop: its delay over the last {@link EVENT_LOOP_WINDOW_SECONDS} s (node:perf_hooks
 *   monitorEventLoopDelay): `p99Ms` (the worst one-second 99th percentile) and `maxMs` (the longest
 *   delay). Above HEALTH_EVENT_LOOP_DELAY_MS it is `degraded: true` with a message, still 200: the
 *   process answers and its database is up, it is only slow.
 */
@ApiTags('health')
@Controller('health')
export class HealthController implements OnModuleInit, OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  /** One entry a second, newest last, at most the window's length. */
  private readonly seconds: Second[] = [];

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly orm: MikroORM,
    private readonly periodic: PeriodicTasks,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.histogram.enable();
    this.periodic.every('event-loop delay window', 1000, () => this.rotate());
  }

  onModuleDestroy(): void {
    this.periodic.cancel('event-loop delay window');
    this.histogram.disable();
  }

  @Get()
  @AllowAnonymous()
  @HealthCheck()
  @ApiOperation({ summary: 'Database check and event-loop delay, reported apart' })
  check() {
    return this.health.check([() => this.database(), () => this.eventLoop()]);
  }

  private rotate(): void {
    this.seconds.push(this.current());
    if (this.seconds.length > EVENT_LOOP_WINDOW_SECONDS) this.seconds.shift();
    this.histogram.reset();
  }

  private current(): Second {
    return this.histogram.count > 0
      ? { p99Ms: ms(this.histogram.percentile(99)), maxMs: ms(this.histogram.max) }
      : { p99Ms: 0, maxMs: 0 };
  }

  /** The delay over the window: the seconds kept and the one under way (it holds a delay that just ended). */
  private eventLoopDelay(): Second {
    const all = [...this.seconds, this.current()];
    return {
      p99Ms: Math.max(...all.map((s) => s.p99Ms)),
      maxMs: Math.max(...all.map((s) => s.maxMs)),
    };
  }

  private async eventLoop() {
    // One turn of the timers first: a delay that has just ended is recorded by the histogram's timer,
    // which is due since the loop was held up and runs before ours; read before it, it would be missed.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const { p99Ms, maxMs } = this.eventLoopDelay();
    const thresholdMs = this.config.healthEventLoopDelayMs;
    const degraded = maxMs > thresholdMs;
    return this.indicator.check('eventLoop').up({
      degraded,
      p99Ms,
      maxMs,
      thresholdMs,
      windowSeconds: EVENT_LOOP_WINDOW_SECONDS,
      ...(degraded && {
        message: `the event loop of this process was blocked for up to ${Math.round(maxMs)} ms in the last ${EVENT_LOOP_WINDOW_SECONDS} s (above HEALTH_EVENT_LOOP_DELAY_MS=${thresholdMs}); the database is checked apart`,
      }),
    });
  }

  private async database() {
    const session = this.indicator.check('database');
    const sent = performance.now();
    const answer = this.orm.em
      .getConnection()
      .execute('select 1')
      .then(
        () => ({ ok: true as const, responseMs: Math.round(performance.now() - sent) }),
        (err: unknown) => ({ ok: false as const, message: err instanceof Error ? err.message : String(err) }),
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ ok: false; message: string }>((resolve) => {
      let waited = 0;
      let last = performance.now();
      const tick = () => {
        const now = performance.now();
        waited += Math.min(now - last, 2 * TICK_MS);
        last = now;
        if (waited < DATABASE_TIMEOUT_MS) timer = setTimeout(tick, TICK_MS);
        // After the I/O phase, so that an answer already waiting in the socket wins the race.
        else setImmediate(() => resolve({ ok: false, message: `no answer within ${DATABASE_TIMEOUT_MS} ms` }));
      };
      timer = setTimeout(tick, TICK_MS);
    });
    const outcome = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    return outcome.ok
      ? session.up({ responseMs: outcome.responseMs })
      : session.down({ message: `the database did not answer: ${outcome.message}` });
  }
}
