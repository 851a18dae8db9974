/**
 * The admin UI's store (web/store.js): plain ES module functions without DOM, tested here directly
 * (jest loads the browser module as it is).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Store = Record<string, any>;

describe('admin UI store', () => {
  let s: Store;

  beforeAll(async () => {
    s = (await import(pathToFileURL(join(__dirname, '..', 'web', 'store.js')).href)) as Store;
  });

  it('reads and writes the route (view, filters, job) as a URL query, tags repeatable', () => {
    const route = s.parseRoute(
      '?view=jobs&state=READY&q=bell&tag=a&tag=b&deviceId=d1&createdAfter=2026-12-01T10:00&job=j1',
    );
    expect(route).toEqual({
      view: 'jobs',
      filters: {
        q: 'bell',
        state: 'READY',
        deviceId: 'd1',
        deploymentId: '',
        owner: '',
        tag: ['a', 'b'],
        createdAfter: '2026-12-01T10:00',
        createdBefore: '',
      },
      job: 'j1',
    });
    expect(s.routeToSearch(route)).toBe(
      '?q=bell&state=READY&deviceId=d1&createdAfter=2026-12-01T10%3A00&tag=a&tag=b&job=j1',
    );
    expect(s.parseRoute(s.routeToSearch(route))).toEqual(route);
    expect(s.routeToSearch(s.parseRoute(''))).toBe('');
    expect(s.parseRoute('?view=nope&state=WRONG').view).toBe('jobs');
    expect(s.parseRoute('?state=WRONG').filters.state).toBe('');
    expect(s.routeToSearch({ view: 'overview', filters: s.emptyFilters(), job: '' })).toBe('?view=overview');
  });

  it('makes the API query of the filters, with dates as ISO times', () => {
    const f = { ...s.emptyFilters(), state: 'ERROR', tag: ['x', 'y'], q: 'abc', createdBefore: '2026-12-02T00:00:00Z' };
    const q: URLSearchParams = s.jobsQuery(f, { limit: 50, offset: 100 });
    expect(q.get('limit')).toBe('50');
    expect(q.get('offset')).toBe('100');
    expect(q.getAll('tag')).toEqual(['x', 'y']);
    expect(q.get('q')).toBe('abc');
    expect(q.get('state')).toBe('ERROR');
    expect(q.get('createdBefore')).toBe('2026-12-02T00:00:00.000Z');
    expect(q.has('createdAfter')).toBe(false);
    expect(q.has('owner')).toBe(false);
    expect(s.jobsQuery({ ...s.emptyFilters(), owner: 'public' }).get('owner')).toBe('public');
    expect(s.parseRoute('?owner=alice').filters.owner).toBe('alice');
    expect(s.toIso('not a date')).toBe('');
  });

  it('decides whether a live job passes the filters as the API would', () => {
    const job = {
      id: '0193abcd-0000',
      name: 'Bell test',
      state: 'READY',
      deviceId: 'd',
      deploymentId: 'p',
      tags: ['a'],
      createdAt: '2026-12-02T10:00:00Z',
    };
    const f = s.emptyFilters();
    expect(s.matchesFilters(job, f)).toBe(true);
    expect(s.matchesFilters(job, { ...f, q: 'bell' })).toBe(true);
    expect(s.matchesFilters(job, { ...f, q: '0193ab' })).toBe(true);
    expect(s.matchesFilters(job, { ...f, q: 'ghz' })).toBe(false);
    expect(s.matchesFilters(job, { ...f, state: 'RUNNING' })).toBe(false);
    expect(s.matchesFilters(job, { ...f, tag: ['a'] })).toBe(true);
    expect(s.matchesFilters(job, { ...f, tag: ['a', 'b'] })).toBe(false);
    expect(s.matchesFilters(job, { ...f, createdAfter: '2026-12-02T10:00:01Z' })).toBe(false);
    expect(s.matchesFilters(job, { ...f, createdBefore: '2026-12-02T10:00:01Z' })).toBe(true);
    // owner: a job's executedBy, a live event's ownerId; `public` for none
    expect(s.matchesFilters({ ...job, executedBy: 'alice' }, { ...f, owner: 'alice' })).toBe(true);
    expect(s.matchesFilters({ ...job, executedBy: 'alice' }, { ...f, owner: 'bob' })).toBe(false);
    expect(s.matchesFilters({ ...job, executedBy: null }, { ...f, owner: 'public' })).toBe(true);
    expect(s.matchesFilters({ jobId: 'x', ownerId: 'bob', state: 'READY' }, { ...f, owner: 'public' })).toBe(false);
  });

  it('computes wait and run times, percentiles and durations', () => {
    const job = {
      state: 'FINISHED',
      createdAt: '2026-12-02T10:00:00Z',
      startedAt: '2026-12-02T10:00:02Z',
      finishedAt: '2026-12-02T10:00:05Z',
    };
    expect(s.waitMs(job)).toBe(2000);
    expect(s.runMs(job)).toBe(3000);
    expect(s.waitMs({ state: 'READY', createdAt: '2026-12-02T10:00:00Z' }, Date.parse('2026-12-02T10:01:00Z'))).toBe(
      60_000,
    );
    expect(s.waitMs({ state: 'READY', createdAt: '2026-12-02T10:00:00Z', waitTimeSeconds: 7 })).toBe(7000);
    expect(s.runMs({ state: 'READY', createdAt: '2026-12-02T10:00:00Z' })).toBeNull();
    expect(s.percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(s.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(s.percentile([], 50)).toBeNull();
    expect(s.duration(850)).toBe('850 ms');
    expect(s.duration(4200)).toBe('4.2 s');
    expect(s.duration(185_000)).toBe('3 min 5 s');
    expect(s.duration(null)).toBe('—');
  });

  it('keeps counts per state, queues per device and the last hour per minute from events', () => {
    const m = new s.OverviewModel(60);
    m.setCounts({ FINISHED: 3 });
    const t0 = Date.parse('2026-12-02T10:00:10Z');
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const ref = (jobId: string, seq: number, ms: number) => ({
      jobId,
      deviceId: 'dev',
      deploymentId: null,
      ownerId: null,
      seq,
      at: at(ms),
    });
    expect(m.apply('job.created', { ...ref('a', 1, 0), state: 'READY' })).toBe(true);
    expect(m.apply('job.created', { ...ref('b', 1, 0), state: 'READY' })).toBe(true);
    expect(m.counts.READY).toBe(2);
    expect(m.queues().get('dev')).toEqual({ waiting: 2, running: 0 });
    m.apply('job.state', { ...ref('a', 2, 1000), state: 'RUNNING' });
    expect(m.queues().get('dev')).toEqual({ waiting: 1, running: 1 });
    // a replayed (older) event changes nothing
    expect(m.apply('job.state', { ...ref('a', 2, 1000), state: 'RUNNING' })).toBe(false);
    m.apply('job.state', { ...ref('a', 3, 4000), state: 'FINISHED' });
    m.apply('job.state', { ...ref('b', 2, 65_000), state: 'RUNNING' });
    m.apply('job.state', { ...ref('b', 3, 70_000), state: 'ERROR' });
    expect(m.counts).toMatchObject({ READY: 0, RUNNING: 0, FINISHED: 4, ERROR: 1 });
    expect(m.stale).toBe(false);
    const series = m.series(t0 + 90_000);
    expect(series.x).toHaveLength(60);
    expect(series.finished.at(-2)).toBe(1);
    expect(series.failed.at(-1)).toBe(1);
    expect(series.waitP50.at(-2)).toBe(1);
    expect(series.runP50.at(-2)).toBe(3);
    expect(series.waitP50.at(-1)).toBe(65);
    expect(series.runP95.at(-1)).toBe(5);
    expect(series.finished.slice(0, -2).every((n: number) => n === 0)).toBe(true);
    // a job it never saw changes state: the counts must be reloaded
    m.apply('job.state', { ...ref('zzz', 5, 1000), state: 'FINISHED' });
    expect(m.stale).toBe(true);
    m.apply('job.deleted', { ...ref('b', 4, 80_000) });
    expect(m.counts.ERROR).toBe(0);
    // an hour later the ended jobs have left the window
    expect(m.series(t0 + 3 * 3600_000).finished.every((n: number) => n === 0)).toBe(true);
  });

  it('runs a bulk action a few at a time and reports each outcome', async () => {
    let running = 0;
    let most = 0;
    const outcomes: [string, { ok: boolean; error?: string }][] = [];
    const tally = await s.runBulk(
      ['1', '2', '3', '4', '5', '6'],
      async (id: string) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        running--;
        if (id === '4') throw new Error('409 Conflict: the job has ended');
      },
      (id: string, o: { ok: boolean; error?: string }) => outcomes.push([id, o]),
      3,
    );
    expect(tally).toEqual({ ok: 5, failed: 1 });
    expect(most).toBe(3);
    expect(outcomes.find(([id]) => id === '4')![1]).toEqual({ ok: false, error: '409 Conflict: the job has ended' });
    expect(outcomes).toHaveLength(6);
  });

  it('writes a distribution as CSV', () => {
    expect(s.resultCsv({ '0x0': 510, '0x3': 490 })).toBe('key,value\n0x0,510\n0x3,490\n');
    expect(s.resultCsv({ 'a,b': 1 })).toBe('key,value\n"a,b",1\n');
  });
});
