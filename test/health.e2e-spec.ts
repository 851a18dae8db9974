import { HealthController } from '../src/database/health.controller';
import { startTestApp, type TestApp } from './helpers/app';
import { Http, waitUntil } from './helpers/http';

/**
 * Issue #15 item 11: a blocked event loop is reported as such, never as "database down". The app runs
 * in this test's process, so a busy loop here blocks its event loop.
 */
function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

describe('GET /api/health: database and event loop apart', () => {
  let t: TestApp;
  let http: Http;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, healthEventLoopDelayMs: 500 });
    http = new Http(t.baseUrl);
  });
  afterAll(() => t?.close());

  it('answers 200 with the database up and the event-loop delay of the last seconds', async () => {
    // Start-up itself may have held the loop up: wait until its window has passed.
    const quiet = await waitUntil(
      async () => {
        const r = await http.get('/api/health');
        return r.body.info?.eventLoop?.degraded === false ? r : undefined;
      },
      'a quiet event loop',
      20_000,
    );
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({
      status: 'ok',
      info: {
        database: { status: 'up', responseMs: expect.any(Number) },
        eventLoop: { status: 'up', degraded: false, thresholdMs: 500, windowSeconds: 10 },
      },
      error: {},
    });
    expect(quiet.body.info.eventLoop.maxMs).toBeLessThanOrEqual(500);
  });

  it('names the event loop, not the database, after the loop was blocked for 1.5 s', async () => {
    blockEventLoop(1500);
    const r = await http.get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.error).toEqual({});
    expect(r.body.info.database.status).toBe('up');
    const loop = r.body.info.eventLoop;
    expect(loop).toMatchObject({ status: 'up', degraded: true });
    expect(loop.maxMs).toBeGreaterThanOrEqual(1400);
    expect(loop.message).toMatch(/event loop of this process was blocked for up to \d+ ms/);
    expect(loop.message).toMatch(/HEALTH_EVENT_LOOP_DELAY_MS=500/);
  });

  it('keeps the database up when the loop is blocked longer than the database timeout during a check', async () => {
    const check = t.get<HealthController>(HealthController).check();
    blockEventLoop(3500); // longer than DATABASE_TIMEOUT_MS (3 s), while the check waits for `select 1`
    const result = await check;
    expect(result.status).toBe('ok');
    expect(result.info?.database?.status).toBe('up');
    expect(result.info?.eventLoop).toMatchObject({ degraded: true });
  });
});
