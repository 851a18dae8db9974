import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ormConfig } from '../src/model';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { BELL_QASM2, Http } from './helpers/http';

const TERMINATE_ALL = `select count(pg_terminate_backend(pid)) as n from pg_stat_activity
                        where datname = current_database() and pid <> pg_backend_pid()`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`, or 'timeout' when it has not settled within `ms` (a bound, not a measurement). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connections of the app's database terminated (pg_terminate_backend) in the middle of units of
 * work: the pool must not keep the dead connections checked out (Kysely releases a transaction's
 * connection only when its BEGIN, COMMIT or ROLLBACK succeeds), or after `max` of them every unit of
 * work waits forever - and a worker's job handlers with them, their queue entries active for good.
 */
describe('connections terminated inside transactions', () => {
  it('leave the pool usable: a dead connection is not kept checked out', async () => {
    const db = await freshDatabase();
    const orm = await MikroORM.init({
      ...ormConfig({ url: db.url, events: false, poolMax: 2 }),
      logger: () => undefined,
    });
    const killer = new pg.Client({ connectionString: db.url });
    await killer.connect();
    try {
      const pool = (await orm.em.getConnection().getNativeClient()) as pg.Pool;
      const outcomes: string[] = [];
      // Twice the pool's size: the statement fails (its connection was terminated), then the commit.
      for (let i = 0; i < 4; i++) {
        const tx = orm.em.fork().transactional(async (em) => {
          const ctx = em.getTransactionContext();
          await em.getConnection().execute('select 1', [], 'all', ctx);
          await killer.query(TERMINATE_ALL);
          await sleep(50);
          if (i % 2 === 0) await em.getConnection().execute('select 2', [], 'all', ctx);
        });
        const outcome = await within(
          tx.then(
            () => 'committed',
            () => 'failed',
          ),
          10_000,
        );
        outcomes.push(outcome);
        if (outcome === 'timeout') break;
      }
      expect(outcomes).toEqual(['failed', 'failed', 'failed', 'failed']);
      expect(await within(orm.em.getConnection().execute('select 1 as one'), 10_000)).toEqual([{ one: 1 }]);
      expect(pool.totalCount - pool.idleCount).toBe(0); // nothing checked out any more
      expect(pool.waitingCount).toBe(0);
    } finally {
      await killer.end().catch(() => undefined);
      await within(orm.close(true), 5_000).catch(() => undefined);
      await db.drop();
    }
  });
});

describe('a worker whose connections are terminated again and again while it runs jobs', () => {
  let t: TestApp;
  let http: Http;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, workerConcurrency: 2, maxRunningJobsPerUser: 0 });
    http = new Http(t.baseUrl);
  });
  afterAll(async () => {
    // Bounded: a handler that never returns would keep the shutdown waiting for it.
    if (t) await within(t.close(), 30_000);
  });

  /** A query on a connection of its own (the faults may terminate it: tried again). */
  async function sql<T>(text: string): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      const client = new pg.Client({ connectionString: t.config.databaseUrl });
      try {
        await client.connect();
        return (await client.query(text)).rows as T[];
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(100);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }

  it('ends every job (no handler left hanging, no entry left active) once the database is left alone', async () => {
    const deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const deployment = await http.post('/api/deployments', {
      name: 'connection loss',
      programs: [{ assemblerLanguage: 'QASM2', quantumCircuit: BELL_QASM2 }],
    });
    expect(deployment.status).toBe(201);

    const killer = new pg.Client({ connectionString: t.config.databaseUrl });
    await killer.connect();
    let faults = 0;
    let submitted = 0;
    let faulting = true;
    const submitter = (async () => {
      while (faulting) {
        const res = await within(
          http.post('/api/jobs', { deploymentId: deployment.body.id, deviceId, shots: 10 }).catch(() => null),
          10_000,
        );
        if (res !== 'timeout' && res?.status === 201) submitted++;
        await sleep(5);
      }
    })();
    try {
      // Enough terminations to use up the ORM's pool (10) many times over were dead connections kept.
      while (faults < 40) {
        await sleep(20 + Math.random() * 150);
        await killer.query(TERMINATE_ALL);
        faults++;
      }
    } finally {
      faulting = false;
      await submitter;
      await killer.end().catch(() => undefined);
    }
    expect(submitted).toBeGreaterThan(0);

    // Left alone, the worker ends everything: no job READY or RUNNING, no queue entry pending.
    const deadline = Date.now() + 90_000;
    let open: { jobs: string; entries: string } = { jobs: '?', entries: '?' };
    while (Date.now() < deadline) {
      [open] = await sql<{ jobs: string; entries: string }>(
        `select (select count(*) from job where state in ('READY', 'RUNNING')) as jobs,
                (select count(*) from pgboss.job where name like 'qunest-jobs%'
                   and state in ('created', 'retry', 'active')) as entries`,
      );
      if (open.jobs === '0' && open.entries === '0') break;
      await sleep(250);
    }
    expect(open).toEqual({ jobs: '0', entries: '0' });
    // And the process can still work: a job submitted now finishes.
    const after = await http.post('/api/jobs', { deploymentId: deployment.body.id, deviceId, shots: 10 });
    expect(after.status).toBe(201);
    const end = Date.now() + 30_000;
    let state = '';
    while (Date.now() < end && state !== 'FINISHED') {
      state = (await http.get(`/api/jobs/${after.body.id}`)).body.state;
      await sleep(100);
    }
    expect(state).toBe('FINISHED');
  }, 180_000);
});
