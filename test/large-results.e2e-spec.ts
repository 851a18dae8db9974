import { randomUUID } from 'node:crypto';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { MIGRATIONS } from '../src/database/migrations';
import { ormConfig } from '../src/model';
import { connectQunest, type QunestSocket } from '../src/realtime/client';
import type { JobSnapshot, ServerEventName } from '../src/realtime/realtime.contract';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

const INLINE = 100;
const MAX_STORED = 16_000;
const SHOTS = 20_000;

/** `h` on every qubit, then measure all: up to 2^n outcomes, each about equally likely. */
const uniform = (n: number) => `OPENQASM 2.0; include "qelib1.inc"; qreg q[${n}]; creg c[${n}]; h q; measure q -> c;`;

type Entry = [string, number];

/**
 * Large results (issue #15 item 4) through HTTP and socket.io, with the real queue, workers and
 * engine: RESULT_INLINE_ENTRIES 100 and MAX_RESULT_ENTRIES 16,000 for the test. A 15-qubit uniform
 * distribution sampled 20,000 times has about 15,000 outcomes (two stored chunks of 10,000); a
 * 16-qubit one about 17,200, above the cap.
 */
describe('large results', () => {
  let t: TestApp;
  let http: Http;
  let socket: QunestSocket;
  let deviceId: string;
  const events: { name: ServerEventName; payload: any }[] = [];
  const programs: Record<string, string> = {};

  async function deploy(name: string, circuit: string): Promise<string> {
    const res = await http.post('/api/deployments', {
      name,
      programs: [{ quantumCircuit: circuit, assemblerLanguage: 'QASM2' }],
    });
    expect(res.status).toBe(201);
    const ack = await socket.subscribe({ deploymentId: res.body.id });
    expect(ack.ok).toBe(true);
    return res.body.id;
  }

  async function run(deploymentId: string, shots = SHOTS): Promise<any> {
    const res = await http.post('/api/jobs', { deploymentId, deviceId, shots, seed: 11 });
    expect(res.status).toBe(201);
    return waitUntil(async () => {
      const job = (await http.get(`/api/jobs/${res.body.id}`)).body;
      return ['FINISHED', 'ERROR', 'CANCELED'].includes(job.state) ? job : undefined;
    }, `job ${res.body.id} to end`);
  }

  /** Every entry of a result through the paged endpoint. */
  async function pageAll(dataUrl: string, order: 'count' | 'key', limit: number): Promise<Entry[]> {
    const out: Entry[] = [];
    for (let offset = 0; ; offset += limit) {
      const page = await http.get(`${dataUrl}?offset=${offset}&limit=${limit}&order=${order}`);
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ limit, offset });
      out.push(...(page.body.items as Entry[]));
      if (offset + limit >= page.body.total) {
        expect(out).toHaveLength(page.body.total);
        return out;
      }
    }
  }

  const sum = (entries: Entry[]) => entries.reduce((s, [, v]) => s + v, 0);

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, resultInlineEntries: INLINE, maxResultEntries: MAX_STORED });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    socket = connectQunest(t.baseUrl, { socket: { transports: ['websocket'], reconnection: false } });
    await socket.ready();
    socket.onAny((name: ServerEventName, payload: unknown) => events.push({ name, payload }));
    programs.wide = await deploy('wide', uniform(15));
    programs.wider = await deploy('wider', uniform(16));
    programs.bell = await deploy('bell', BELL_QASM2);
  });
  afterAll(async () => {
    socket?.disconnect();
    await t?.close();
  });

  it('answers a large result as its most probable entries, and every entry from the data endpoint', async () => {
    const job = await run(programs.wide);
    expect(job.state).toBe('FINISHED');
    // The job answer is small: 100 entries a result, whatever the size of the distribution.
    expect(JSON.stringify(job).length).toBeLessThan(20_000);
    expect(job.results.map((r: any) => r.resultType)).toEqual(['COUNTS', 'PROBABILITIES']);
    const counts = job.results[0];
    const entries: number = counts.meta.entries;
    expect(entries).toBeGreaterThan(10_000); // more than one stored chunk
    expect(entries).toBeLessThan(MAX_STORED);
    expect(Object.keys(counts.data)).toHaveLength(INLINE);
    const dataUrl = `/api/jobs/${job.id}/results/${counts.id}/data`;
    expect(counts.meta).toMatchObject({
      truncated: true,
      entries,
      storedEntries: entries,
      inlineEntries: INLINE,
      dataUrl,
      shots: SHOTS,
      format: 'hex',
    });
    expect(counts.meta.droppedEntries).toBeUndefined();
    const probs = job.results[1];
    expect(Object.keys(probs.data)).toHaveLength(INLINE);
    expect(probs.meta).toMatchObject({ truncated: true, entries, storedEntries: entries, inlineEntries: INLINE });

    // The other result reads answer the same summary.
    expect((await http.get(`/api/jobs/${job.id}/results`)).body.map((r: any) => r.data)).toEqual([
      counts.data,
      probs.data,
    ]);
    expect((await http.get(`/api/jobs/${job.id}/results/${counts.id}`)).body).toMatchObject({
      data: counts.data,
      meta: counts.meta,
    });

    // Paged, most probable first: every outcome exactly once, the counts add up to the shots, and
    // the inline entries are the first ones (pages of 3,000 cross the chunk boundary at 10,000).
    const byCount = await pageAll(dataUrl, 'count', 3000);
    expect(new Set(byCount.map(([k]) => k)).size).toBe(entries);
    expect(sum(byCount)).toBe(SHOTS);
    for (let i = 1; i < byCount.length; i++) expect(byCount[i - 1][1]).toBeGreaterThanOrEqual(byCount[i][1]);
    expect(Object.fromEntries(byCount.slice(0, INLINE))).toEqual(counts.data);
    for (const [, n] of byCount) expect(n).toBeGreaterThanOrEqual(1);
    expect(byCount.every(([key]) => /^0x[0-9a-f]{1,4}$/.test(key))).toBe(true);

    // By key: the same entries, in byte order of the keys.
    const byKey = await pageAll(dataUrl, 'key', 5000);
    for (let i = 1; i < byKey.length; i++) expect(byKey[i - 1][0] < byKey[i][0]).toBe(true);
    expect(new Map(byKey)).toEqual(new Map(byCount));

    // A page past the end is empty; a page limit above 10,000 is refused.
    expect((await http.get(`${dataUrl}?offset=${entries}`)).body).toEqual({
      items: [],
      total: entries,
      limit: 1000,
      offset: entries,
    });
    expect((await http.get(`${dataUrl}?limit=10001`)).status).toBe(400);
    expect((await http.get(`${dataUrl}?format=xml`)).status).toBe(400);

    // CSV download: a header, then every entry, most probable first.
    const csv = await fetch(`${t.baseUrl}${dataUrl}?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="counts-.*\.csv"/);
    const lines = (await csv.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('key,value');
    const fromCsv: Entry[] = lines.slice(1).map((l) => {
      const [k, v] = l.split(',');
      return [k, Number(v)];
    });
    expect(fromCsv).toEqual(byCount);

    // NDJSON download of the probabilities: one [key, value] a line, adding up to 1.
    const nd = await fetch(`${t.baseUrl}/api/jobs/${job.id}/results/${probs.id}/data?format=ndjson`);
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const fromNd = (await nd.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    expect(fromNd).toHaveLength(entries);
    expect(sum(fromNd)).toBeCloseTo(1, 9);
    expect(new Map(fromNd)).toEqual(new Map(byCount.map(([k, n]) => [k, n / SHOTS])));

    // The job.result events carried the summaries only; a job snapshot holds them too.
    const resultEvents = await waitUntil(async () => {
      const mine = events.filter((e) => e.name === 'job.result' && e.payload.jobId === job.id);
      return mine.length === 2 ? mine : undefined;
    }, 'two job.result events');
    for (const e of resultEvents) {
      expect(JSON.stringify(e.payload).length).toBeLessThan(10_000);
      expect(Object.keys(e.payload.result.data)).toHaveLength(INLINE);
      expect(e.payload.result.meta).toMatchObject({ truncated: true, entries, dataUrl: expect.any(String) });
    }
    expect(resultEvents[0].payload.result.data).toEqual(counts.data);
    const ack = (await socket.subscribe({ jobId: job.id })) as { ok: true; snapshot: JobSnapshot };
    expect(ack.snapshot.results.map((r) => r.data)).toEqual([counts.data, probs.data]);
    expect(ack.snapshot.results[0].meta).toMatchObject({ truncated: true, entries, dataUrl });

    // Deleting the job deletes the stored chunks with it.
    const em = t.get<EntityManager>(EntityManager).fork();
    const chunkCount = async () =>
      Number(
        (
          await em.execute<{ n: string }[]>('select count(*) as n from result_data where result_id in (?, ?)', [
            counts.id,
            probs.id,
          ])
        )[0].n,
      );
    expect(await chunkCount()).toBe(2 * Math.ceil(entries / 10_000));
    expect((await http.delete(`/api/jobs/${job.id}`)).status).toBe(204);
    expect(await chunkCount()).toBe(0);
    expect((await http.get(dataUrl)).status).toBe(404);
  });

  it('stores at most MAX_RESULT_ENTRIES of a result, the most probable, and says what it dropped', async () => {
    const job = await run(programs.wider);
    expect(job.state).toBe('FINISHED');
    const counts = job.results.find((r: any) => r.resultType === 'COUNTS');
    const entries: number = counts.meta.entries;
    expect(entries).toBeGreaterThan(MAX_STORED);
    expect(counts.meta).toMatchObject({
      truncated: true,
      storedEntries: MAX_STORED,
      inlineEntries: INLINE,
      droppedEntries: entries - MAX_STORED,
    });
    const stored = await pageAll(counts.meta.dataUrl, 'count', 10_000);
    expect(stored).toHaveLength(MAX_STORED);
    expect(sum(stored) + counts.meta.droppedWeight).toBe(SHOTS);
    // Nothing dropped is more probable than what was kept.
    expect(counts.meta.droppedWeight / counts.meta.droppedEntries).toBeLessThanOrEqual(stored.at(-1)![1]);
  });

  it('answers a small result as before: whole, inline, no truncation', async () => {
    const job = await run(programs.bell, 1000);
    expect(job.state).toBe('FINISHED');
    const [counts, probs] = job.results;
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0x3']);
    expect(counts.data['0x0'] + counts.data['0x3']).toBe(1000);
    expect(probs.data['0x0'] + probs.data['0x3']).toBeCloseTo(1, 12);
    for (const r of [counts, probs]) {
      expect(r.meta).not.toHaveProperty('truncated');
      expect(r.meta).not.toHaveProperty('dataUrl');
      expect(r.meta).not.toHaveProperty('entries');
    }
    const event = await waitUntil(
      async () => events.find((e) => e.name === 'job.result' && e.payload.jobId === job.id),
      'the job.result event',
    );
    expect(event.payload.result.data).toEqual(counts.data);
    expect(event.payload.result.meta).not.toHaveProperty('truncated');

    // Its data endpoint pages and downloads the same entries.
    const url = `/api/jobs/${job.id}/results/${counts.id}/data`;
    const page = (await http.get(`${url}?order=key`)).body;
    expect(page).toEqual({
      items: [
        ['0x0', counts.data['0x0']],
        ['0x3', counts.data['0x3']],
      ],
      total: 2,
      limit: 1000,
      offset: 0,
    });
    const csv = await (await fetch(`${t.baseUrl}${url}?format=csv`)).text();
    expect(csv.trimEnd().split('\n').slice(1).sort()).toEqual([
      `0x0,${counts.data['0x0']}`,
      `0x3,${counts.data['0x3']}`,
    ]);
  });

  it('answers 404 for the data of unknown results and jobs', async () => {
    const job = await run(programs.bell, 10);
    expect((await http.get(`/api/jobs/${job.id}/results/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f/data`)).status).toBe(404);
    expect((await http.get(`/api/jobs/${job.id}/results/nope/data?format=csv`)).status).toBe(404);
    const resultId = job.results[0].id;
    expect((await http.get(`/api/jobs/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f/results/${resultId}/data`)).status).toBe(
      404,
    );
  });
});

describe('the migration of large results', () => {
  it('moves the entries of results stored whole before it into chunks, keeping the 4,096 most probable inline', async () => {
    const db = await freshDatabase();
    let t: TestApp | undefined;
    try {
      const mine = MIGRATIONS.findIndex((m) => m.name === 'Migration20261202000000LargeResults');
      expect(mine).toBeGreaterThan(0);
      const orm = await MikroORM.init({ ...ormConfig({ url: db.url }), logger: () => undefined });
      // 5,000 outcomes with 9 distinct counts (ties across chunks), a small result, an expectation value
      const big: Record<string, number> = {};
      for (let i = 0; i < 5000; i++) big[`0x${i.toString(16)}`] = 1 + ((i * 7) % 9);
      const shots = Object.values(big).reduce((a, b) => a + b, 0);
      const [provider, device, job, bigId, smallId, valueId] = Array.from({ length: 6 }, () => randomUUID());
      try {
        await orm.migrator.up({ to: MIGRATIONS[mine - 1].name });
        await orm.em.getConnection().execute(
          `insert into provider (id, name, supported_languages) values (?, 'LOCAL', '{QASM2,QASM3}');
           insert into device (id, name, num_qubits, is_simulator, is_local, provider_id) values (?, 'statevector-simulator', 20, true, true, ?);
           insert into job (id, executed_on_id, state, shots, created_at, finished_at, progress) values (?, ?, 'FINISHED', ?, now(), now(), 100);
           insert into result (id, job_id, result_type, data, meta, created_at) values
             (?, ?, 'COUNTS', ?, '{"shots": 1}', now()),
             (?, ?, 'PROBABILITIES', '{"0x0": 0.5, "0x3": 0.5}', '{}', now()),
             (?, ?, 'VALUE_AND_VARIANCE', '{"value": 1, "variance": 0}', '{}', now());`,
          [provider, device, provider, job, device, shots, bigId, job, JSON.stringify(big), smallId, job, valueId, job],
        );
        await orm.migrator.up({ to: MIGRATIONS[mine].name });
        // it makes what the entities describe
        const drift = (await orm.schema.getUpdateSchemaSQL({ wrap: false }))
          .split('\n')
          .filter((line) => /result_data|data_entries/.test(line));
        expect(drift).toEqual([]);
        await orm.migrator.up();
      } finally {
        await orm.close();
      }
      t = await startTestApp({ runWorkers: false, databaseUrl: db.url });
      const http = new Http(t.baseUrl);
      const { results } = (await http.get(`/api/jobs/${job}`)).body;
      const counts = results.find((r: any) => r.id === bigId);
      expect(counts.meta).toEqual({
        shots: 1,
        truncated: true,
        entries: 5000,
        storedEntries: 5000,
        inlineEntries: 4096,
        dataUrl: `/api/jobs/${job}/results/${bigId}/data`,
      });
      // most probable first, ties by key (byte order): the order of the chunks
      const expected = Object.entries(big).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      expect(counts.data).toEqual(Object.fromEntries(expected.slice(0, 4096)));
      const page = async (offset: number) =>
        (await http.get(`${counts.meta.dataUrl}?offset=${offset}&limit=10000`)).body;
      expect(await page(0)).toEqual({ items: expected, total: 5000, limit: 10000, offset: 0 });
      for (const id of [smallId, valueId]) {
        const r = results.find((x: any) => x.id === id);
        expect(r.meta).toEqual({});
        expect(r.data).toEqual(id === smallId ? { '0x0': 0.5, '0x3': 0.5 } : { value: 1, variance: 0 });
      }
    } finally {
      await t?.close();
      await db.drop();
    }
  });
});
