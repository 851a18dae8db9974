/**
 * GET /api/jobs with the filters of issue 16 at 1,000,000 jobs: the same filtered lists through
 * JobsService.list (what the controller calls: the page and its count), first without the indexes of
 * Migration20261202140000JobApi, then with them, in one run on one database.
 *
 *   npm run build && node_modules/.bin/node dist/bench/job-search.bench.js      (BENCH_JOBS=1000000 BENCH_REPEATS=9)
 *
 * The real app (runWorkers off) on a private embedded PostgreSQL; the rows are written with one
 * INSERT … SELECT FROM generate_series: ids are UUIDv7 of their created_at (PostgreSQL 18's
 * uuidv7(shift)), spread over about a year (one job every 30 s); 100 owners (user0..user99) and 1 in
 * 10 public; names `<algorithm>-<md5>` over 8 algorithms; tags `project:<i mod 100>` and
 * `run:<i mod 10000>`, and `gold` on 1 in 1000 (finished ones: see docs/benchmarks.md for a tag whose jobs sort last); 99 % FINISHED (finished_at 1-600 s after creation),
 * the rest READY. Prints markdown.
 */
import 'reflect-metadata';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { EntityManager, RequestContext } from '@mikro-orm/postgresql';
import type { Principal } from '../src/auth/principal';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/app-config';
import { createDatabase, startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { JobQueryDto } from '../src/jobs/dto/job.dto';
import { JobsService } from '../src/jobs/jobs.service';
import { fmtMs, median, table } from './util';

const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);

/** The indexes the migration adds for the job API, as it creates them. */
const INDEXES: [string, string][] = [
  ['job_tags_gin', 'create index "job_tags_gin" on "job" using gin ("tags")'],
  ['job_name_trgm', 'create index "job_name_trgm" on "job" using gin ("name" gin_trgm_ops)'],
  ['job_created_at_id_index', 'create index "job_created_at_id_index" on "job" ("created_at", "id")'],
  ['job_finished_at_id_index', 'create index "job_finished_at_id_index" on "job" ("finished_at", "id")'],
  [
    'job_owner_created_at_index',
    'create index "job_owner_created_at_index" on "job" ("executed_by", "created_at", "id")',
  ],
  [
    'job_owner_finished_at_index',
    'create index "job_owner_finished_at_index" on "job" ("executed_by", "finished_at", "id")',
  ],
];

const ADMIN: Principal = { userId: 'root', isAdmin: true, roles: ['admin'] };
const USER: Principal = { userId: 'user7', isAdmin: false, roles: [] };

interface Case {
  label: string;
  who: Principal;
  query: Partial<JobQueryDto>;
}

async function main(): Promise<void> {
  const started = new Date();
  const db = await startEmbeddedPostgres({
    dataDir: path.join(tmpdir(), 'qunest', `bench-js-${process.pid}-${Date.now()}`),
    persistent: false,
  });
  try {
    const base = loadConfig({ LOG_LEVEL: 'silent' });
    const app = await createApp({
      ...base,
      databaseUrl: await createDatabase(db.url, 'bench_js'),
      port: 0,
      host: '127.0.0.1',
      runWorkers: false,
      serveAdminUi: false,
    });
    try {
      await app.init(); // migrations and seeding
      const root = app.get(EntityManager);
      const em = root.fork();
      const jobs = app.get(JobsService);
      const sql = async <T>(text: string, params: unknown[] = []): Promise<T> =>
        (await em.getConnection().execute(text, params)) as T;
      const [device] = await sql<{ id: string }[]>(`select id from device order by name limit 1`);
      const deploymentId = '01900000-0000-7000-8000-000000000001';
      await sql(`insert into deployment (id, name, deployed_at) values (?, 'bench', now())`, [deploymentId]);

      for (const [name] of INDEXES) await sql(`drop index if exists "${name}"`);
      let t0 = performance.now();
      await sql(
        `insert into job (id, name, executed_by, executed_on_id, deployment_id, deployment_revision, progress, state,
                          shots, type, error_mitigation, created_at, started_at, finished_at, attempts, event_seq, tags, version)
         select uuidv7(-(g.i * interval '30 seconds')),
                (array['bell','grover','shor','qaoa','vqe','qft','teleport','ghz'])[1 + g.i % 8] || '-' || md5(g.i::text),
                case when g.i % 10 = 0 then null else 'user' || (g.i % 100) end,
                ?, ?, 1,
                case when g.i % 100 = 0 then 0 else 100 end,
                case when g.i % 100 = 0 then 'READY' else 'FINISHED' end,
                100, 'RUNNER', 'none',
                now() - g.i * interval '30 seconds',
                case when g.i % 100 = 0 then null else now() - g.i * interval '30 seconds' end,
                case when g.i % 100 = 0 then null else now() - g.i * interval '30 seconds' + (1 + g.i % 600) * interval '1 second' end,
                case when g.i % 100 = 0 then 0 else 1 end, 3,
                array['project:' || (g.i % 100), 'run:' || (g.i % 10000)] || case when g.i % 1000 = 1 then array['gold'] else array[]::text[] end,
                1
           from generate_series(1, ?) as g(i)`,
        [device.id, deploymentId, JOBS],
      );
      const insertMs = performance.now() - t0;
      await sql('vacuum analyze job');
      const [{ n }] = await sql<{ n: string }[]>('select count(*) as n from job');
      const [probe] = await sql<{ id: string; name: string }[]>(
        `select id, name from job where name like 'grover-%' order by created_at desc offset ? limit 1`,
        [Math.floor(JOBS / 32)],
      );
      const fragment = probe.name.slice(-12, -6);
      const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
      const monthAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
      const twoMonthsAgo = new Date(Date.now() - 61 * 86_400_000).toISOString();

      const cases: Case[] = [
        { label: 'tag=run:42', who: ADMIN, query: { tag: ['run:42'] } },
        { label: 'tag=project:7&tag=run:7 (all of)', who: ADMIN, query: { tag: ['project:7', 'run:7'] } },
        { label: 'tag=project:7', who: ADMIN, query: { tag: ['project:7'] } },
        {
          label: 'tag=gold, sort=finishedAt&order=asc',
          who: ADMIN,
          query: { tag: ['gold'], sort: 'finishedAt', order: 'asc' },
        },
        { label: `q=${fragment} (a name substring)`, who: ADMIN, query: { q: fragment } },
        { label: 'q=grover-00 (a name substring)', who: ADMIN, query: { q: 'grover-00' } },
        { label: `q=${probe.id.slice(0, 13)} (id prefix)`, who: ADMIN, query: { q: probe.id.slice(0, 13) } },
        { label: 'createdAfter=1 day ago', who: ADMIN, query: { createdAfter: dayAgo } },
        {
          label: 'createdAfter=61 days ago&createdBefore=31 days ago&sort=finishedAt',
          who: ADMIN,
          query: { createdAfter: twoMonthsAgo, createdBefore: monthAgo, sort: 'finishedAt' },
        },
        { label: 'user7 (not admin): tag=project:7', who: USER, query: { tag: ['project:7'] } },
        {
          label: 'user7 (not admin): createdAfter=1 day ago&sort=finishedAt',
          who: USER,
          query: { createdAfter: dayAgo, sort: 'finishedAt' },
        },
        { label: 'no filter (counts every row)', who: ADMIN, query: {} },
      ];

      const measure = async (c: Case, repeats = REPEATS, warmups = 2): Promise<{ ms: number; total: number }> => {
        const q = Object.assign(new JobQueryDto(), { limit: 20, offset: 0 }, c.query);
        const times: number[] = [];
        let total = 0;
        for (let r = 0; r < repeats + warmups; r++) {
          const s = performance.now();
          // one request context a call, as the HTTP layer gives each request
          const [, count] = await RequestContext.create(root, () => jobs.list(c.who, q));
          if (r >= warmups) times.push(performance.now() - s);
          total = count;
        }
        return { ms: median(times), total };
      };

      const without: { ms: number; total: number }[] = [];
      for (const c of cases) {
        // seconds each: fewer calls
        without.push(await measure(c, 3, 1));
        console.error(`without indexes: ${c.label}: ${fmtMs(without[without.length - 1].ms)}`);
      }
      t0 = performance.now();
      for (const [, create] of INDEXES) await sql(create);
      await sql('analyze job');
      const indexMs = performance.now() - t0;
      const rows: string[][] = [];
      for (let i = 0; i < cases.length; i++) {
        const w = await measure(cases[i]);
        console.error(`with indexes: ${cases[i].label}: ${fmtMs(w.ms)}`);
        if (w.total !== without[i].total)
          throw new Error(`${cases[i].label}: ${w.total} rows with, ${without[i].total} without`);
        rows.push([cases[i].label, String(w.total), fmtMs(without[i].ms), fmtMs(w.ms)]);
      }
      const [{ v }] = await sql<{ v: string }[]>(`select current_setting('server_version') as v`);
      console.log(
        [
          `${Number(n).toLocaleString('en-US')} jobs, ${started.toISOString().slice(0, 16)} UTC, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()
            .map((x) => x.toFixed(1))
            .join(
              ' ',
            )}, embedded PostgreSQL ${v}, Node ${process.version}. Inserting the rows took ${fmtMs(insertMs)}, creating the six indexes ${fmtMs(indexMs)}. Median of ${REPEATS} calls (3 without the indexes) of JobsService.list (20 rows and the count), admin unless said:`,
          '',
          table(['filter', 'total', 'without the indexes', 'with them'], rows),
        ].join('\n'),
      );
    } finally {
      await app.close();
    }
  } finally {
    await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
