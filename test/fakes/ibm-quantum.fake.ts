/**
 * A fake of IBM Quantum for tests: IBM Cloud IAM's token endpoint and the Qiskit Runtime REST API
 * (IBM-API-Version 2026-04-15), on one port of 127.0.0.1 (node:http only). It follows
 * - IAM: POST /identity/token, form `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=...`,
 *   answer `{access_token, refresh_token: "not_supported", token_type: "Bearer", expires_in, expiration,
 *   scope}`; an unknown key is 400 `{errorCode: "BXNIM0415E", errorMessage: "Provided API key could not
 *   be found."}` (https://cloud.ibm.com/apidocs/iam-identity-token-api);
 * - the Runtime API (https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest, and the client
 *   generated from its OpenAPI document in qiskit-community/qrmi): POST /v1/jobs, GET /v1/jobs
 *   (tags, sort, limit, offset, pending), GET /v1/jobs/{id}, /results, /metrics, POST
 *   /v1/jobs/{id}/cancel (204, or 409 when the job has ended), GET /v1/backends (BackendsResponseV2),
 *   /v1/backends/{id}/status, /properties, /configuration; errors `{errors: [{code, message,
 *   more_info}], trace}`; 401 for a missing or unknown bearer, 403 for an instance (Service-CRN) the
 *   fake does not know, 400 without Service-CRN or IBM-API-Version (IBM would default the version:
 *   the fake is stricter, to check the adapter sends it).
 *
 * Jobs move Queued → Running → Completed, one step on every GET /v1/jobs/{id} after the first (`autoAdvance`,
 * the default: polls see each status once) or when a test calls advance(). Completed jobs' results are computed from what was sent:
 * each PUB's OpenQASM 3 is parsed by our engine and sampled with a fixed seed, and answered in
 * IBM's JSON shapes: Sampler V2 `{results: [{data: {<register>: {samples: ["0x3", ...], num_bits}},
 * metadata}], metadata: {execution: {execution_spans}, version: 2}}`, Estimator V2 `{results: [{data:
 * {evs, stds, ensemble_standard_error}, metadata: {shots, target_precision}}]}` with evs the exact
 * expectation values of the engine's estimator and stds = sqrt(single-shot variance / shots),
 * shots = round(1 / precision²).
 *
 * Usage:
 *   const ibm = await startFakeIbmQuantum();
 *   const config = { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: ibm.url };
 *   ... new IbmQuantumBackend(config, deps) ...
 *   ibm.setAutoAdvance(false); ibm.advance(jobId, 'Failed', 'Error code 1517; ...');
 *   ibm.failNext(429, { headers: { 'Retry-After': '7' } });
 *   await ibm.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HARD_MAX_QUBITS, parseProgram, simulate, type Circuit } from '../../src/quantum';

export const FAKE_IBM_API_KEY = 'fake-ibm-api-key';
export const FAKE_IBM_INSTANCE =
  'crn:v1:bluemix:public:quantum-computing:us-east:a/0123456789abcdef:00000000-1111-2222-3333-444444444444::';
export const FAKE_IBM_API_VERSION = '2026-04-15';

export type FakeIbmStatus = 'Queued' | 'Running' | 'Completed' | 'Cancelled' | 'Failed';

export interface FakeIbmBackend {
  name: string;
  qubits: number;
  isSimulator?: boolean;
  /** BackendsResponseV2 status name: `online`, `paused`, `offline`. */
  status?: string;
  statusReason?: string;
  queueLength?: number;
}

export interface FakeIbmJob {
  id: string;
  programId: string;
  backend: string;
  tags: string[];
  params: { pubs: unknown[]; version?: number; options?: Record<string, unknown> };
  status: FakeIbmStatus;
  reason?: string;
  reasonCode?: number;
  created: string;
  running?: string;
  finished?: string;
  /** Its place in the backend's queue while Queued (job metrics' position_in_queue). */
  queuePosition?: number;
  /** The results answered once Completed (computed when first asked, or set by a test). */
  results?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FailNextOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** Which requests it hits: `api` (the Runtime API, default), `iam`, or those whose path matches. */
  on?: 'api' | 'iam' | RegExp;
  /** How many requests in a row (default 1). */
  times?: number;
}

export interface FakeIbmOptions {
  /** API keys IAM accepts (default [FAKE_IBM_API_KEY]). */
  apiKeys?: string[];
  /** Instance CRNs (Service-CRN) the API accepts (default [FAKE_IBM_INSTANCE]). */
  instances?: string[];
  backends?: FakeIbmBackend[];
  /** One step on every GET of a job (default true). */
  autoAdvance?: boolean;
  /** Seed of the sampling (default 1234; job n uses seed + n). */
  seed?: number;
  /** IAM tokens' lifetime in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
  /** IAM's status for an unknown key (default 400, as IBM Cloud IAM answers; 401 to test that too). */
  iamBadKeyStatus?: number;
}

export interface FakeIbmQuantum {
  /** Base URL of both IAM and the Runtime API (config apiUrl and iamUrl). */
  url: string;
  jobs: Map<string, FakeIbmJob>;
  backends: Map<string, FakeIbmBackend>;
  requests: RecordedRequest[];
  apiKeys: Set<string>;
  instances: Set<string>;
  /** How many tokens IAM issued. */
  tokensIssued(): number;
  /** Makes every issued bearer unknown (as if expired or revoked). */
  revokeTokens(): void;
  setAutoAdvance(on: boolean): void;
  /**
   * Moves a job (the last created when `jobId` is omitted) one step on, or to `to` with IBM's
   * `reason` (and `reasonCode`, e.g. 1305 for a job that ran too long).
   */
  advance(jobId?: string, to?: FakeIbmStatus, reason?: string, reasonCode?: number): FakeIbmJob;
  /** Answers the next request(s) with `status` (429 with Retry-After, 5xx, ...). */
  failNext(status: number, opts?: FailNextOptions): void;
  /** Requests to the Runtime API (not IAM), in order. */
  apiRequests(): RecordedRequest[];
  /**
   * Handles the next request whose method and path match (e.g. the POST that creates a job) as usual,
   * but withholds its answer until `release()`: what a client that dies in between never hears.
   * `arrived` resolves when IBM has handled it.
   */
  holdNext(method: string, path: RegExp): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

const DEFAULT_BACKENDS: FakeIbmBackend[] = [
  { name: 'ibm_fake_brisbane', qubits: 127, status: 'online', queueLength: 3 },
  { name: 'ibm_fake_kyiv', qubits: 127, status: 'paused', statusReason: 'calibrating', queueLength: 0 },
  { name: 'ibm_fake_small', qubits: 5, status: 'online', queueLength: 0 },
];

export async function startFakeIbmQuantum(opts: FakeIbmOptions = {}): Promise<FakeIbmQuantum> {
  const apiKeys = new Set(opts.apiKeys ?? [FAKE_IBM_API_KEY]);
  const instances = new Set(opts.instances ?? [FAKE_IBM_INSTANCE]);
  const backends = new Map((opts.backends ?? DEFAULT_BACKENDS).map((b) => [b.name, { ...b }]));
  const jobs = new Map<string, FakeIbmJob>();
  const requests: RecordedRequest[] = [];
  const tokens = new Map<string, { apiKey: string; expiresAt: number }>();
  const failures: { status: number; opts: FailNextOptions; left: number }[] = [];
  const lifetime = opts.tokenLifetimeSeconds ?? 3600;
  const seed = opts.seed ?? 1234;
  let autoAdvance = opts.autoAdvance ?? true;
  let issued = 0;
  let jobCounter = 0;
  let lastJobId: string | null = null;
  /** Jobs a poll has seen since their last step (autoAdvance moves them on at the next poll). */
  const stepDue = new Set<string>();

  const holds: { method: string; path: RegExp; arrived: () => void; released: Promise<void> }[] = [];

  const server = createServer((req, res) => {
    const hold = holds.find(
      (h) => h.method === req.method && h.path.test(new URL(req.url ?? '/', 'http://fake').pathname),
    );
    if (hold) {
      holds.splice(holds.indexOf(hold), 1);
      // The request is handled now; its answer is written only once released.
      const writeHead = res.writeHead.bind(res);
      const end = res.end.bind(res);
      let answer: (() => void) | null = null;
      res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
        answer = () => writeHead(...args);
        return res;
      }) as typeof res.writeHead;
      res.end = ((...args: unknown[]) => {
        hold.arrived();
        void hold.released.then(() => {
          if (res.destroyed) return;
          (answer as (() => void) | null)?.();
          (end as (...a: unknown[]) => void)(...args);
        });
        return res;
      }) as typeof res.end;
    }
    void handle(req, res).catch((err: unknown) => {
      send(res, 500, { errors: [{ code: 'internal_error', message: `fake error: ${(err as Error).message}` }] });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    let body: unknown = raw;
    if (String(req.headers['content-type'] ?? '').includes('application/json') && raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, ibmError('bad_request', 'The request body is not valid JSON'));
      }
    } else if (String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body };
    requests.push(record);

    const isIam = url.pathname === '/identity/token';
    const failure = failures.find((f) =>
      f.opts.on instanceof RegExp ? f.opts.on.test(url.pathname) : (f.opts.on ?? 'api') === (isIam ? 'iam' : 'api'),
    );
    if (failure) {
      if (--failure.left <= 0) failures.splice(failures.indexOf(failure), 1);
      return send(
        res,
        failure.status,
        failure.opts.body ??
          ibmError(failure.status === 429 ? 'too_many_requests' : 'error', `fake failure ${failure.status}`),
        failure.opts.headers,
      );
    }

    if (isIam) return iamToken(method, body as Record<string, string>, res);

    // The Runtime API: authentication first.
    const auth = String(req.headers.authorization ?? '');
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    const grant = bearer ? tokens.get(bearer) : undefined;
    if (!grant || grant.expiresAt < Date.now()) {
      return send(res, 401, ibmError('unauthorized', 'Unauthorized: the IAM token is missing, invalid or expired'));
    }
    const crn = req.headers['service-crn'];
    if (typeof crn !== 'string' || crn === '') {
      return send(res, 400, ibmError('bad_request', 'The Service-CRN header is required'));
    }
    if (!instances.has(crn)) {
      return send(res, 403, ibmError('forbidden', `You are not authorized to use the instance ${crn}`));
    }
    if (!req.headers['ibm-api-version']) {
      return send(res, 400, ibmError('bad_request', 'The IBM-API-Version header is required'));
    }
    return api(method, url, body, res);
  }

  function iamToken(method: string, form: Record<string, string>, res: ServerResponse): void {
    if (method !== 'POST') return send(res, 405, { errorCode: 'BXNIM0103E', errorMessage: 'Method not allowed' });
    if (form?.grant_type !== 'urn:ibm:params:oauth:grant-type:apikey' || !form.apikey) {
      return send(res, 400, { errorCode: 'BXNIM0109E', errorMessage: 'Property missing or empty.' });
    }
    if (!apiKeys.has(form.apikey)) {
      return send(res, opts.iamBadKeyStatus ?? 400, {
        errorCode: 'BXNIM0415E',
        errorMessage: 'Provided API key could not be found.',
        context: { requestId: `req-${issued}` },
      });
    }
    issued++;
    const token = `fake-iam-token-${issued}-${Math.random().toString(36).slice(2)}`;
    tokens.set(token, { apiKey: form.apikey, expiresAt: Date.now() + lifetime * 1000 });
    send(res, 200, {
      access_token: token,
      refresh_token: 'not_supported',
      token_type: 'Bearer',
      expires_in: lifetime,
      expiration: Math.floor(Date.now() / 1000) + lifetime,
      scope: 'ibm openid',
    });
  }

  function api(method: string, url: URL, body: unknown, res: ServerResponse): void {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1') return send(res, 404, ibmError('not_found', `No route ${url.pathname}`));
    const [, resource, id, sub] = parts;
    if (resource === 'jobs' && !id && method === 'POST') return createJob(body, res);
    if (resource === 'jobs' && !id && method === 'GET') return listJobs(url.searchParams, res);
    if (resource === 'jobs' && id) {
      const job = jobs.get(id);
      if (!job) return send(res, 404, ibmError('not_found', `Job not found: ${id}`));
      if (!sub && method === 'GET') {
        // Moved one step on by the poll after the one that saw it: polls see Queued, Running,
        // Completed in turn, and calls in between (metrics) see what the last poll saw.
        if (autoAdvance && stepDue.delete(job.id)) step(job);
        if (autoAdvance) stepDue.add(job.id);
        return send(res, 200, jobResponse(job, url.searchParams.get('exclude_params') !== 'true'));
      }
      if (sub === 'results' && method === 'GET') {
        if (job.status !== 'Completed') {
          return send(
            res,
            404,
            ibmError('not_found', `Results of job ${id} are not available: the job is ${job.status}`),
          );
        }
        job.results ??= computeResults(job);
        return send(res, 200, job.results);
      }
      if (sub === 'metrics' && method === 'GET') return send(res, 200, metrics(job));
      if (sub === 'cancel' && method === 'POST') {
        if (job.status !== 'Queued' && job.status !== 'Running') {
          return send(res, 409, ibmError('conflict', `The job cannot be cancelled because it is ${job.status}`));
        }
        job.status = 'Cancelled';
        job.reason = 'Cancelled by the user';
        job.finished = new Date().toISOString();
        return send(res, 204, undefined);
      }
    }
    if (resource === 'backends' && !id && method === 'GET') {
      return send(res, 200, {
        devices: [...backends.values()].map((b) => ({
          name: b.name,
          status: { name: b.status ?? 'online', ...(b.statusReason ? { reason: b.statusReason } : {}) },
          is_simulator: b.isSimulator ?? false,
          qubits: b.qubits,
          queue_length: b.queueLength ?? 0,
          processor_type: { family: 'Eagle', revision: '3' },
        })),
      });
    }
    if (resource === 'backends' && id && method === 'GET') {
      const b = backends.get(id);
      if (!b) return send(res, 404, ibmError('not_found', `Backend ${id} not found`));
      if (sub === 'status') {
        const online = (b.status ?? 'online') === 'online';
        return send(res, 200, {
          state: online,
          status: online ? 'active' : 'maintenance',
          message: online ? '' : (b.statusReason ?? 'maintenance'),
          length_queue: b.queueLength ?? 0,
          backend_version: '1.0.0',
        });
      }
      if (sub === 'properties') return send(res, 200, properties(b));
      if (sub === 'configuration') {
        return send(res, 200, {
          backend_name: b.name,
          backend_version: '1.0.0',
          n_qubits: b.qubits,
          simulator: b.isSimulator ?? false,
          basis_gates: ['ecr', 'id', 'rz', 'sx', 'x'],
          max_shots: 100000,
        });
      }
    }
    send(res, 404, ibmError('not_found', `No route ${method} ${url.pathname}`));
  }

  function createJob(body: unknown, res: ServerResponse): void {
    const b = body as Record<string, unknown> | null;
    if (!b || typeof b !== 'object') return send(res, 400, ibmError('bad_request', 'A JSON body is required'));
    if (b.program_id !== 'sampler' && b.program_id !== 'estimator') {
      return send(res, 400, ibmError('bad_request', `Program not found: ${String(b.program_id)}`));
    }
    if (typeof b.backend !== 'string' || !backends.has(b.backend)) {
      return send(res, 400, ibmError('bad_request', `Backend ${String(b.backend)} is not available to this instance`));
    }
    const params = b.params as FakeIbmJob['params'] | undefined;
    if (!params || !Array.isArray(params.pubs) || params.pubs.length === 0) {
      return send(res, 400, ibmError('bad_request', 'params.pubs must be a non-empty array'));
    }
    if (params.version !== 2) return send(res, 400, ibmError('bad_request', 'params.version must be 2'));
    const tags = b.tags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
      return send(res, 400, ibmError('bad_request', 'tags must be an array of strings'));
    }
    jobCounter++;
    const id = `d${jobCounter.toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2, 17)}`.slice(0, 20);
    const backend = backends.get(b.backend)!;
    const job: FakeIbmJob = {
      id,
      programId: b.program_id,
      backend: b.backend,
      tags: tags as string[],
      params,
      status: 'Queued',
      created: new Date(Date.now() + jobCounter).toISOString(),
      queuePosition: (backend.queueLength ?? 0) + 1,
    };
    jobs.set(id, job);
    lastJobId = id;
    send(res, 200, { id, backend: b.backend });
  }

  function listJobs(q: URLSearchParams, res: ServerResponse): void {
    const tags = q.getAll('tags');
    let list = [...jobs.values()].filter((j) => tags.every((t) => j.tags.includes(t)));
    if (q.get('backend')) list = list.filter((j) => j.backend === q.get('backend'));
    if (q.get('pending') === 'true') list = list.filter((j) => j.status === 'Queued' || j.status === 'Running');
    if (q.get('pending') === 'false') list = list.filter((j) => j.status !== 'Queued' && j.status !== 'Running');
    list.sort((a, b) => a.created.localeCompare(b.created) * (q.get('sort') === 'ASC' ? 1 : -1));
    const offset = Number(q.get('offset') ?? 0);
    const limit = Number(q.get('limit') ?? 200);
    send(res, 200, {
      jobs: list.slice(offset, offset + limit).map((j) => jobResponse(j, q.get('exclude_params') === 'false')),
      count: list.length,
      offset,
      limit,
    });
  }

  function jobResponse(job: FakeIbmJob, withParams: boolean): Record<string, unknown> {
    return {
      id: job.id,
      backend: job.backend,
      state: {
        status: job.status,
        ...(job.reason ? { reason: job.reason } : {}),
        ...(job.reasonCode !== undefined ? { reason_code: job.reasonCode } : {}),
      },
      status: job.status,
      program: { id: job.programId },
      created: job.created,
      cost: 600,
      tags: job.tags,
      session_id: null,
      user_id: 'fake-user',
      usage: { seconds: job.status === 'Completed' ? 2 : 0 },
      ...(withParams ? { params: job.params } : {}),
    };
  }

  function metrics(job: FakeIbmJob): Record<string, unknown> {
    return {
      timestamps: { created: job.created, running: job.running ?? null, finished: job.finished ?? null },
      usage:
        job.status === 'Completed'
          ? { quantum_seconds: 2, seconds: 2, qpu_charge_time_seconds: 2, status: 'final' }
          : { quantum_seconds: 0, seconds: 0, status: 'pending' },
      executions: job.status === 'Completed' ? job.params.pubs.length : 0,
      num_circuits: job.params.pubs.length,
      qiskit_version: 'qiskit_ibm_runtime-0.48.0,qiskit-2.5.2*',
      ...(job.status === 'Queued' ? { position_in_queue: job.queuePosition ?? 1, position_in_provider: 1 } : {}),
    };
  }

  function step(job: FakeIbmJob, to?: FakeIbmStatus): void {
    const next = to ?? (job.status === 'Queued' ? 'Running' : job.status === 'Running' ? 'Completed' : job.status);
    if (next === job.status) return;
    const now = new Date().toISOString();
    if (next === 'Running') job.running = now;
    if (next === 'Completed' || next === 'Failed' || next === 'Cancelled') {
      job.running ??= now;
      job.finished = now;
    }
    job.status = next;
    if (next === 'Completed') {
      try {
        job.results = computeResults(job);
      } catch (err) {
        // What IBM does with a program it cannot run: the job fails with its reason.
        job.status = 'Failed';
        job.reason = `Error code 1517; Job failed: ${(err as Error).message}`;
        job.reasonCode = 1517;
      }
    }
  }

  function computeResults(job: FakeIbmJob): unknown {
    const jobSeed = seed + jobCounterOf(job);
    if (job.programId === 'estimator') {
      return {
        results: job.params.pubs.map((pub) => estimatorPub(pub as unknown[])),
        metadata: { dynamical_decoupling: { enable: false }, version: 2 },
      };
    }
    const now = new Date().toISOString();
    return {
      results: job.params.pubs.map((pub, i) => samplerPub(pub as unknown[], jobSeed + i)),
      metadata: {
        execution: {
          execution_spans: [[{ date: job.running ?? now }, { date: job.finished ?? now }, { '0': [[1], [0, 1]] }]],
        },
        version: 2,
      },
    };
  }

  function jobCounterOf(job: FakeIbmJob): number {
    return [...jobs.keys()].indexOf(job.id);
  }

  const fake: FakeIbmQuantum = {
    url: '',
    jobs,
    backends,
    requests,
    apiKeys,
    instances,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    setAutoAdvance(on) {
      autoAdvance = on;
    },
    advance(jobId, to, reason, reasonCode) {
      const id = jobId ?? lastJobId;
      const job = id ? jobs.get(id) : undefined;
      if (!job) throw new Error(`fake IBM: no job ${String(id)}`);
      stepDue.delete(job.id);
      step(job, to);
      if (reason !== undefined) job.reason = reason;
      if (reasonCode !== undefined) job.reasonCode = reasonCode;
      return job;
    },
    failNext(status, o = {}) {
      failures.push({ status, opts: o, left: o.times ?? 1 });
    },
    apiRequests: () => requests.filter((r) => r.path.startsWith('/v1/')),
    holdNext(method, path) {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedP = new Promise<void>((r) => (arrived = r));
      const released = new Promise<void>((r) => (release = r));
      holds.push({ method, path, arrived, released });
      return { arrived: arrivedP, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of holds.splice(0)) h.arrived();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** Sampler V2: [circuit, parameter values, shots] → per classical register, one hex sample per shot. */
function samplerPub(pub: unknown[], seed: number): unknown {
  const [qasm, , shotsGiven] = pub;
  const shots = typeof shotsGiven === 'number' ? shotsGiven : 4096;
  const circuit = parse(qasm);
  if (circuit.numClbits === 0) throw new Error('the circuit has no classical registers to sample');
  const [result] = simulate({ circuit, shots, seed, type: 'SAMPLER', maxQubits: HARD_MAX_QUBITS });
  // QUASI_DIST keyed by the hex of all clbits (clbit 0 least significant), count/shots each.
  const all: bigint[] = [];
  for (const [key, p] of Object.entries(result.data as Record<string, number>)) {
    const n = Math.round(p * shots);
    for (let k = 0; k < n; k++) all.push(BigInt(key));
  }
  shuffle(all, seed);
  const data: Record<string, { samples: string[]; num_bits: number }> = {};
  for (const reg of circuit.cregs) {
    const mask = (1n << BigInt(reg.size)) - 1n;
    data[reg.name] = {
      samples: all.map((v) => '0x' + ((v >> BigInt(reg.offset)) & mask).toString(16)),
      num_bits: reg.size,
    };
  }
  return { data, metadata: { circuit_metadata: {} } };
}

/** Estimator V2: [circuit, observables, parameter values, precision] → exact evs, stds from the single-shot variance. */
function estimatorPub(pub: unknown[]): unknown {
  const [qasm, observablesGiven, , precisionGiven] = pub;
  const precision = typeof precisionGiven === 'number' && precisionGiven > 0 ? precisionGiven : 0.015625;
  const shots = Math.max(1, Math.round(1 / (precision * precision)));
  const circuit = parse(qasm);
  const list = (Array.isArray(observablesGiven) ? observablesGiven : [observablesGiven]) as Record<string, number>[];
  const evs: number[] = [];
  const stds: number[] = [];
  for (const sum of list) {
    const terms = Object.entries(sum).map(([pauli, coefficient]) => ({ pauli, coefficient }));
    const results = simulate({ circuit, shots, type: 'ESTIMATOR', observables: terms, maxQubits: HARD_MAX_QUBITS });
    let value = 0;
    let variance = 0;
    for (const r of results) {
      const d = r.data as { value: number; variance: number };
      value += d.value;
      variance += d.variance;
    }
    evs.push(value);
    stds.push(Math.sqrt(variance / shots));
  }
  return {
    data: { evs, stds, ensemble_standard_error: stds },
    metadata: { shots, target_precision: precision, circuit_metadata: {}, resilience: {}, num_randomizations: 32 },
  };
}

function parse(qasm: unknown): Circuit {
  if (typeof qasm !== 'string') throw new Error('the PUB circuit must be an OpenQASM 3 string');
  return parseProgram('QASM3', qasm);
}

/** Fisher-Yates with a small seeded PRNG (mulberry32): shots in an order that does not follow their value. */
function shuffle<T>(a: T[], seed: number): void {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

function properties(b: FakeIbmBackend): Record<string, unknown> {
  const date = '2026-04-17T08:55:23+02:00';
  return {
    backend_name: b.name,
    backend_version: '1.0.0',
    last_update_date: date,
    qubits: Array.from({ length: b.qubits }, (_, q) => [
      { date, name: 'T1', unit: 'us', value: 200 + q },
      { date, name: 'T2', unit: 'us', value: 150 + q },
      { date, name: 'readout_error', unit: '', value: 0.01 },
    ]),
    gates: [{ qubits: [0], gate: 'sx', parameters: [{ date, name: 'gate_error', unit: '', value: 0.0002 }] }],
    general: [],
  };
}

function ibmError(code: string, message: string): Record<string, unknown> {
  return {
    errors: [{ code, message, more_info: 'https://quantum.cloud.ibm.com/docs/errors' }],
    trace: `fake-trace-${Date.now()}`,
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
