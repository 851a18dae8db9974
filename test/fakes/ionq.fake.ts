/**
 * A fake of IonQ's Quantum Cloud REST API, version v0.4 (https://api.ionq.co/v0.4; docs.ionq.com
 * "API v0.4": Create job, Get job, Get jobs, Cancel a job, Get job cost, Get Backends, Get a Backend,
 * characterizations, "v0.4 Error Codes"; result format `ionq.result.probabilities.json.v1`), with
 * node:http on 127.0.0.1 and a random port.
 *
 * - Authentication: `Authorization: apiKey <key>`; a missing or wrong key is a 401
 *   `{"error": "Unauthorized", "message": ..., "statusCode": 401}` (GET /backends needs none).
 * - POST /v0.4/jobs takes `ionq.circuit.v1` and `ionq.multi-circuit.v1` bodies (`backend`, `shots`,
 *   `input` with `qubits`, `gateset` qis|native and `circuit` or `circuits`, `noise`, `metadata`,
 *   `name`) and answers `{id, status: "submitted"}`; a circuit our engine cannot read is a 400.
 *   A multi-circuit job has one child job per circuit (`child_job_ids`, in the order of the circuits).
 * - Jobs go submitted -> ready -> started -> completed, one step per GET /jobs/{id} (auto-advance,
 *   the default) or as `advance()` says. A job too wide for its backend fails with
 *   `failure: {error, code: "NotEnoughQubits"}`; `failJob()` fails one with any words.
 * - Results (GET /v0.4/jobs/{id}/results/probabilities) are computed by our own engine from the
 *   circuit submitted (parseIonq): the simulator answers the exact probabilities of the final state
 *   (whatever the noise model: this fake has no noise), a QPU the frequencies of `shots` samples
 *   drawn with a fixed seed. Keys are decimal integers whose bit i is qubit i, as IonQ's; a
 *   multi-circuit parent answers `{child job id: probabilities}`.
 * - PUT /v0.4/jobs/{id}/status/cancel cancels a job that has not ended; an ended one is a 400.
 * - `failNext(status, {headers, body})` answers the next request(s) with that (429 with
 *   Retry-After, 500, ...).
 *
 * Usage:
 *   const ionq = await startFakeIonq({ apiKey: 'k' });
 *   const backend = new IonqBackend({ apiKey: 'k', apiUrl: ionq.url }, deps);
 *   ... ionq.jobs.get(id).status, ionq.requests, ionq.advance(id, 'completed') ...
 *   await ionq.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseIonq, runStatevector, simulate } from '../../src/quantum';

export type FakeIonqStatus = 'submitted' | 'ready' | 'started' | 'completed' | 'failed' | 'canceled';
const ORDER: FakeIonqStatus[] = ['submitted', 'ready', 'started', 'completed'];

export interface FakeIonqBackend {
  backend: string;
  status: 'available' | 'unavailable' | 'calibrating' | 'reserved' | 'retired';
  qubits: number;
  degraded?: boolean;
  average_queue_time?: number;
  noise_models?: string[];
}

export interface FakeIonqJob {
  id: string;
  type: string;
  backend: string;
  name: string | null;
  shots: number;
  status: FakeIonqStatus;
  noise: { model: string; seed?: number } | null;
  metadata: Record<string, unknown> | null;
  parentId: string | null;
  childIds: string[];
  /** The circuit object this job (a child, or a single-circuit job) runs; null for a multi-circuit parent. */
  circuit: { qubits: number; gateset: string; circuit: unknown[] } | null;
  /** The body as it was posted (parents only). */
  body: Record<string, unknown> | null;
  failure: { error: string; code: string } | null;
  probabilities: Record<string, number> | null;
  submittedAt: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeIonqOptions {
  /** The key jobs must bring (default 'ionq-test-key'). */
  apiKey?: string;
  /** Advance a job one step on every GET of it (default true). */
  autoAdvance?: boolean;
  /** Seed of the QPUs' samples (default 1234). */
  seed?: number;
  backends?: FakeIonqBackend[];
}

export interface FakeIonq {
  /** The API's base URL, with its version: http://127.0.0.1:<port>/v0.4 */
  url: string;
  apiKey: string;
  jobs: Map<string, FakeIonqJob>;
  requests: RecordedRequest[];
  backends: FakeIonqBackend[];
  setAutoAdvance(on: boolean): void;
  /** Moves a job (the newest parent when no id) one step, or to `to`. */
  advance(id?: string, to?: FakeIonqStatus): void;
  /** Fails a job with IonQ's failure object. */
  failJob(id: string, error: string, code?: string): void;
  /** Answers the next `times` requests (default 1) with this status, headers and body. */
  failNext(status: number, answer?: { headers?: Record<string, string>; body?: unknown }, times?: number): void;
  close(): Promise<void>;
}

const DEFAULT_BACKENDS: FakeIonqBackend[] = [
  {
    backend: 'simulator',
    status: 'available',
    qubits: 29,
    average_queue_time: 0,
    noise_models: ['ideal', 'aria-1', 'forte-1'],
  },
  { backend: 'qpu.aria-1', status: 'available', qubits: 25, average_queue_time: 1181215, degraded: false },
  { backend: 'qpu.forte-1', status: 'unavailable', qubits: 36, average_queue_time: 0, degraded: true },
];

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeIonq(opts: FakeIonqOptions = {}): Promise<FakeIonq> {
  const apiKey = opts.apiKey ?? 'ionq-test-key';
  const seed = opts.seed ?? 1234;
  const backends = (opts.backends ?? DEFAULT_BACKENDS).map((b) => ({ ...b }));
  const jobs = new Map<string, FakeIonqJob>();
  const requests: RecordedRequest[] = [];
  const failures: { status: number; headers: Record<string, string>; body: unknown }[] = [];
  let autoAdvance = opts.autoAdvance ?? true;

  const complete = (job: FakeIonqJob) => {
    const parts = job.childIds.length ? job.childIds.map((c) => jobs.get(c)!) : [job];
    const info = backends.find((b) => b.backend === job.backend);
    for (const part of parts) {
      if (part.circuit && info && part.circuit.qubits > info.qubits) {
        job.failure = {
          error: `The circuit needs ${part.circuit.qubits} qubits, but ${job.backend} has ${info.qubits}`,
          code: 'NotEnoughQubits',
        };
        job.status = 'failed';
        for (const c of job.childIds) jobs.get(c)!.status = 'failed';
        return;
      }
    }
    for (const part of parts) {
      part.probabilities = resultsOf(part.circuit!, job.backend === 'simulator', job.shots, seed);
      part.status = 'completed';
    }
    job.status = 'completed';
  };

  const move = (job: FakeIonqJob, to?: FakeIonqStatus) => {
    if (!ORDER.includes(job.status) || job.status === 'completed') return;
    const target = to ?? ORDER[ORDER.indexOf(job.status) + 1];
    if (target === 'completed') complete(job);
    else if (target === 'failed') fail(job, 'The job failed', 'InternalError');
    else if (target === 'canceled') job.status = 'canceled';
    else {
      job.status = target;
      for (const c of job.childIds) jobs.get(c)!.status = target;
    }
  };

  const fail = (job: FakeIonqJob, error: string, code: string) => {
    job.failure = { error, code };
    job.status = 'failed';
    for (const c of job.childIds) jobs.get(c)!.status = 'failed';
  };

  const authorize = (req: IncomingMessage, optional = false) => {
    const header = req.headers.authorization;
    if (optional && header === undefined) return;
    if (header !== `apiKey ${apiKey}`) {
      throw new HttpFailure(401, 'Unauthorized', 'The request failed to authenticate the supplied API key');
    }
  };

  const find = (id: string): FakeIonqJob => {
    const job = jobs.get(id);
    if (!job) throw new HttpFailure(404, 'Not Found', `Job ${id} not found`);
    return job;
  };

  const create = (body: Record<string, unknown>): FakeIonqJob => {
    const type = body.type;
    if (type !== 'ionq.circuit.v1' && type !== 'ionq.multi-circuit.v1') {
      throw new HttpFailure(400, 'Bad Request', `"type" must be one of ionq.circuit.v1, ionq.multi-circuit.v1`);
    }
    const backend = body.backend;
    if (typeof backend !== 'string' || !backends.some((b) => b.backend === backend)) {
      throw new HttpFailure(
        400,
        'Bad Request',
        `"backend" must be one of ${backends.map((b) => b.backend).join(', ')}`,
      );
    }
    const shots = body.shots;
    if (typeof shots !== 'number' || !Number.isInteger(shots) || shots < 1) {
      throw new HttpFailure(400, 'Bad Request', '"shots" must be a positive integer');
    }
    const input = body.input as Record<string, unknown> | undefined;
    if (!input || typeof input !== 'object') throw new HttpFailure(400, 'Bad Request', '"input" is required');
    const qubits = input.qubits as number;
    const gateset = (input.gateset as string | undefined) ?? 'qis';
    const circuits: { qubits: number; gateset: string; circuit: unknown[] }[] =
      type === 'ionq.circuit.v1'
        ? [{ qubits, gateset, circuit: input.circuit as unknown[] }]
        : ((input.circuits as Record<string, unknown>[] | undefined) ?? []).map((c) => ({
            qubits,
            gateset: (c.gateset as string | undefined) ?? gateset,
            circuit: c.circuit as unknown[],
          }));
    if (type === 'ionq.multi-circuit.v1' && circuits.length === 0) {
      throw new HttpFailure(400, 'Bad Request', '"input.circuits" must hold at least one circuit');
    }
    for (const c of circuits) {
      try {
        parseIonq(JSON.stringify(c));
      } catch (err) {
        throw new HttpFailure(400, 'Bad Request', `Invalid circuit: ${(err as Error).message}`);
      }
    }
    const noise = backend === 'simulator' ? ((body.noise as FakeIonqJob['noise']) ?? { model: 'ideal' }) : null;
    const base = {
      type,
      backend,
      shots,
      noise,
      failure: null,
      probabilities: null,
      submittedAt: new Date().toISOString(),
      status: 'submitted' as const,
    };
    const id = randomUUID();
    const parent: FakeIonqJob = {
      ...base,
      id,
      name: (body.name as string | undefined) ?? null,
      metadata: (body.metadata as Record<string, unknown> | undefined) ?? null,
      parentId: null,
      childIds: [],
      circuit: type === 'ionq.circuit.v1' ? circuits[0] : null,
      body,
    };
    jobs.set(id, parent);
    if (type === 'ionq.multi-circuit.v1') {
      circuits.forEach((c, i) => {
        const childId = randomUUID();
        const names = (input.circuits as Record<string, unknown>[])[i].name;
        jobs.set(childId, {
          ...base,
          id: childId,
          name: typeof names === 'string' ? names : null,
          metadata: null,
          parentId: id,
          childIds: [],
          circuit: c,
          body: null,
        });
        parent.childIds.push(childId);
      });
    }
    return parent;
  };

  const view = (job: FakeIonqJob) => ({
    id: job.id,
    status: job.status,
    type: job.type,
    backend: job.backend,
    dry_run: false,
    submitter_id: 'fake-user',
    project_id: 'fake-project',
    parent_job_id: job.parentId,
    child_job_ids: job.childIds.length ? job.childIds : null,
    session_id: null,
    metadata: job.metadata,
    name: job.name,
    submitted_at: job.submittedAt,
    started_at: ['started', 'completed'].includes(job.status) ? job.submittedAt : null,
    completed_at: job.status === 'completed' ? new Date().toISOString() : null,
    predicted_execution_duration_ms: null,
    predicted_wait_time_ms: null,
    execution_duration_ms: job.status === 'completed' ? 12 : null,
    shots: job.shots,
    ...(job.noise ? { noise: job.noise } : {}),
    failure: job.failure,
    settings: (job.body?.settings as Record<string, unknown> | undefined) ?? {},
    stats: {
      qubits: job.circuit?.qubits ?? (job.body?.input as { qubits?: number } | undefined)?.qubits ?? 0,
      circuits: job.childIds.length || 1,
      gate_counts: { '1q': 1, '2q': 0 },
    },
    results:
      job.status === 'completed' ? { probabilities: { url: `/v0.4/jobs/${job.id}/results/probabilities` } } : null,
  });

  const route = async (req: IncomingMessage, body: unknown): Promise<[number, unknown]> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\/+$/, '');
    const m = (re: RegExp) => path.match(re);
    if (!path.startsWith('/v0.4/')) throw new HttpFailure(404, 'Not Found', `No route ${path}`);
    const rest = path.slice('/v0.4'.length);
    let match: RegExpMatchArray | null;
    if (req.method === 'GET' && rest === '/backends') {
      authorize(req, true);
      return [200, backends];
    }
    if (req.method === 'GET' && (match = m(/^\/v0\.4\/backends\/([^/]+)$/))) {
      authorize(req, true);
      const b = backends.find((x) => x.backend === decodeURIComponent(match![1]));
      if (!b) throw new HttpFailure(404, 'Not Found', `Backend ${match[1]} not found`);
      return [200, { ...b, last_updated: '2026-12-01T00:00:00Z' }];
    }
    if (req.method === 'GET' && (match = m(/^\/v0\.4\/backends\/([^/]+)\/characterizations$/))) {
      authorize(req);
      const name = decodeURIComponent(match[1]);
      const b = backends.find((x) => x.backend === name);
      if (!b) throw new HttpFailure(404, 'Not Found', `Backend ${name} not found`);
      if (name === 'simulator') return [200, { characterizations: [] }];
      return [
        200,
        {
          characterizations: [
            {
              id: 'c0ffee00-0000-4000-8000-000000000001',
              backend: name,
              date: '2026-12-01T00:00:00Z',
              qubits: b.qubits,
              connectivity: [[0, 1]],
              fidelity: { spam: { median: 0.995 }, '1q': { median: 0.9998 }, '2q': { median: 0.99 } },
              timing: { t1: 100, t2: 1, '1q': 0.000135, '2q': 0.0006, readout: 0.0003, reset: 0.00002 },
            },
          ],
        },
      ];
    }
    authorize(req);
    if (req.method === 'POST' && rest === '/jobs') {
      const job = create((body ?? {}) as Record<string, unknown>);
      return [200, { id: job.id, status: job.status }];
    }
    if (req.method === 'GET' && rest === '/jobs') {
      const limit = Number(url.searchParams.get('limit') ?? '25');
      const start = Number(url.searchParams.get('next') ?? '0');
      const all = [...jobs.values()].reverse();
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? String(start + limit) : null;
      return [200, { jobs: page.map(view), next }];
    }
    if (req.method === 'GET' && (match = m(/^\/v0\.4\/jobs\/([^/]+)$/))) {
      const job = find(match[1]);
      if (autoAdvance && !job.parentId) move(job);
      return [200, view(job)];
    }
    if (req.method === 'GET' && (match = m(/^\/v0\.4\/jobs\/([^/]+)\/results\/probabilities$/))) {
      const job = find(match[1]);
      if (job.status !== 'completed') throw new HttpFailure(400, 'Bad Request', `Job ${job.id} is not completed`);
      if (job.childIds.length) {
        return [200, Object.fromEntries(job.childIds.map((c) => [c, jobs.get(c)!.probabilities]))];
      }
      return [200, job.probabilities];
    }
    if (req.method === 'GET' && (match = m(/^\/v0\.4\/jobs\/([^/]+)\/cost$/))) {
      const job = find(match[1]);
      const value = job.backend === 'simulator' ? 0 : 0.01 * job.shots;
      return [
        200,
        {
          dry_run: false,
          estimated_cost: { value, unit: 'usd' },
          cost: job.status === 'completed' ? { value, unit: 'usd' } : null,
        },
      ];
    }
    if (req.method === 'PUT' && (match = m(/^\/v0\.4\/jobs\/([^/]+)\/status\/cancel$/))) {
      const job = find(match[1]);
      if (!['submitted', 'ready', 'started'].includes(job.status)) {
        throw new HttpFailure(400, 'Bad Request', `Job ${job.id} is ${job.status} and cannot be canceled`);
      }
      job.status = 'canceled';
      for (const c of job.childIds) jobs.get(c)!.status = 'canceled';
      return [200, { id: job.id, status: job.status }];
    }
    throw new HttpFailure(404, 'Not Found', `No route ${req.method} ${path}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      const injected = failures.shift();
      if (injected) return send(injected.status, injected.body, injected.headers);
      route(req, body).then(
        ([status, payload]) => send(status, payload),
        (err: unknown) => {
          if (err instanceof HttpFailure) {
            send(err.status, { error: err.error, message: err.message, statusCode: err.status });
          } else {
            send(500, { error: 'Internal Server Error', message: (err as Error).message, statusCode: 500 });
          }
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v0.4`,
    apiKey,
    jobs,
    requests,
    backends,
    setAutoAdvance: (on) => {
      autoAdvance = on;
    },
    advance: (id, to) => {
      const job = id ? jobs.get(id) : [...jobs.values()].filter((j) => !j.parentId).pop();
      if (!job) throw new Error(`no fake IonQ job ${id ?? ''}`);
      if (to === 'failed') fail(job, 'The job failed', 'InternalError');
      else if (to === 'canceled') job.status = 'canceled';
      else if (to) {
        while (job.status !== to && ORDER.includes(job.status) && job.status !== 'completed') move(job);
      } else move(job);
    },
    failJob: (id, error, code = 'InternalError') => fail(jobs.get(id)!, error, code),
    failNext: (status, answer = {}, times = 1) => {
      for (let i = 0; i < times; i++) {
        failures.push({
          status,
          headers: answer.headers ?? {},
          body: answer.body ?? { error: 'Error', message: `fake failure ${status}`, statusCode: status },
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What IonQ would answer for one circuit, computed by our engine: the exact probabilities of the
 * final state for the simulator, the frequencies of seeded samples for a QPU. Keys: the state as a
 * decimal integer, bit i = qubit i.
 */
export function resultsOf(
  circuit: { qubits: number; gateset: string; circuit: unknown[] },
  exact: boolean,
  shots: number,
  seed: number,
): Record<string, number> {
  const parsed = parseIonq(JSON.stringify(circuit));
  const out: Record<string, number> = {};
  if (exact) {
    const state = runStatevector(parsed);
    for (let i = 0; i < 2 ** parsed.numQubits; i++) {
      const [re, im] = state.amplitude(i);
      const p = re * re + im * im;
      if (p > 1e-12) out[String(i)] = p;
    }
    return out;
  }
  const [counts] = simulate({ circuit: parsed, shots, type: 'RUNNER', seed, maxQubits: parsed.numQubits });
  // One register c of n bits, bit i = qubit i: its hex key is the state.
  for (const [hex, n] of Object.entries(counts.data as Record<string, number>)) {
    out[String(BigInt(hex))] = n / shots;
  }
  return out;
}
