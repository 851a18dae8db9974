/**
 * A fake of QMware's dispatcher API as qunicorn-core's QMware pilot uses it (there is no public
 * QMware API document: the protocol is that of qunicorn/qunicorn-core
 * `qunicorn_core/core/pilotmanager/qmware_pilot.py`, at commit 01cdb8c, and of its batch version in
 * the SeQuenC-Consortium fork, PR #67 "feature/qmware-batch", commit 50a187d), with node:http on
 * 127.0.0.1 and a random port.
 *
 * - Every /v0 call needs the headers `X-API-KEY` and `X-API-KEY-ID`; wrong or missing ones are a
 *   401 `{"message": ...}`.
 * - POST /v0/requests `{name, maxExecutionTimeInMs, ttlAfterFinishedInMs, code: {type, code},
 *   selectionParameters, programParameters: [{name: "shots", value}]}` with `type` qasm2 (device
 *   dev), qasm2-gpu (dev-gpu) or qasm2-batch (dev-batch: `code` is a JSON list of OpenQASM 2
 *   programs) answers `{jobCreated: true, id, message}`, or `{jobCreated: false, message}` for code
 *   our engine cannot read.
 * - GET /v0/jobs/{id} answers `{id, name, status, out}`; jobs go WAITING -> PREPARING -> RUNNING ->
 *   SUCCESS, one step per GET (auto-advance, the default) or as `advance()` says; `failJob()` ends one
 *   in ERROR with a message. `out.value` is the JSON text of the measurements, computed by our engine
 *   (parseProgram, simulate with a fixed seed): on dev one `{result: [{number, hits, probability}]}`
 *   per classical register in declaration order, the i-th entries of all registers being one
 *   outcome; on dev-gpu one entry whose number holds every clbit (clbit j = bit j); on dev-batch a
 *   list of those, one per program, in the order sent.
 * - GET /health answers `{status: "UP"}` (or what `setHealth` says), without credentials.
 * - `failNext(status, {headers, body})` answers the next request(s) with that.
 *
 * Usage:
 *   const qmware = await startFakeQmware({ apiKey: 'k', apiKeyId: 'id' });
 *   const backend = new QmwareBackend({ url: qmware.url, apiKey: 'k', apiKeyId: 'id' }, deps);
 *   ... qmware.jobs.get(id).status, qmware.requests, qmware.advance(id, 'SUCCESS') ...
 *   await qmware.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { parseProgram, simulate, type Circuit } from '../../src/quantum';

export type FakeQmwareStatus = 'WAITING' | 'PREPARING' | 'RUNNING' | 'SUCCESS' | 'ERROR' | 'TIMEOUT' | 'CANCELED';
const ORDER: FakeQmwareStatus[] = ['WAITING', 'PREPARING', 'RUNNING', 'SUCCESS'];

export interface FakeQmwareJob {
  id: string;
  name: string;
  codeType: string;
  /** The OpenQASM 2 programs of the request (one, or the batch's list). */
  programs: string[];
  shots: number;
  status: FakeQmwareStatus;
  /** `out.value` once SUCCESS (or the error text once ERROR). */
  out: string | null;
  message: string | null;
  body: Record<string, unknown>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeQmwareOptions {
  apiKey?: string;
  apiKeyId?: string;
  autoAdvance?: boolean;
  /** Seed of the samples (default 1234). */
  seed?: number;
}

export interface FakeQmware {
  url: string;
  apiKey: string;
  apiKeyId: string;
  jobs: Map<string, FakeQmwareJob>;
  requests: RecordedRequest[];
  setAutoAdvance(on: boolean): void;
  /** Moves a job (the newest when no id) one step, or to `to`. */
  advance(id?: string, to?: FakeQmwareStatus): void;
  failJob(id: string, message: string, status?: 'ERROR' | 'TIMEOUT'): void;
  setHealth(status: string): void;
  failNext(status: number, answer?: { headers?: Record<string, string>; body?: unknown }, times?: number): void;
  close(): Promise<void>;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeQmware(opts: FakeQmwareOptions = {}): Promise<FakeQmware> {
  const apiKey = opts.apiKey ?? 'qmware-test-key';
  const apiKeyId = opts.apiKeyId ?? 'qmware-test-key-id';
  const seed = opts.seed ?? 1234;
  const jobs = new Map<string, FakeQmwareJob>();
  const requests: RecordedRequest[] = [];
  const failures: { status: number; headers: Record<string, string>; body: unknown }[] = [];
  let autoAdvance = opts.autoAdvance ?? true;
  let health = 'UP';

  const move = (job: FakeQmwareJob, to?: FakeQmwareStatus) => {
    if (!ORDER.includes(job.status) || job.status === 'SUCCESS') return;
    const target = to ?? ORDER[ORDER.indexOf(job.status) + 1];
    if (target === 'SUCCESS') {
      const results = job.programs.map((p) => measurementsOf(p, job.codeType, job.shots, seed));
      job.out = JSON.stringify(job.codeType === 'qasm2-batch' ? results : results[0]);
    }
    job.status = target;
  };

  const route = (req: IncomingMessage, body: unknown): [number, unknown] => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '');
    if (req.method === 'GET' && path === '/health') return [200, { status: health }];
    if (req.headers['x-api-key'] !== apiKey || req.headers['x-api-key-id'] !== apiKeyId) {
      throw new HttpFailure(401, 'Invalid API key');
    }
    if (req.method === 'POST' && path === '/v0/requests') {
      const b = (body ?? {}) as Record<string, any>;
      const codeType = b.code?.type;
      if (!['qasm2', 'qasm2-gpu', 'qasm2-batch'].includes(codeType)) {
        return [200, { jobCreated: false, message: `Unknown code type ${String(codeType)}` }];
      }
      const shotsParam = (b.programParameters ?? []).find((p: { name: string }) => p.name === 'shots');
      const shots = Number(shotsParam?.value ?? '1024');
      let programs: string[];
      try {
        programs = codeType === 'qasm2-batch' ? (JSON.parse(b.code.code) as string[]) : [b.code.code as string];
        for (const p of programs) parseProgram('QASM2', p);
      } catch (err) {
        return [200, { jobCreated: false, message: `Invalid code: ${(err as Error).message}` }];
      }
      const id = randomUUID();
      jobs.set(id, {
        id,
        name: String(b.name ?? ''),
        codeType,
        programs,
        shots,
        status: 'WAITING',
        out: null,
        message: null,
        body: b,
      });
      return [200, { jobCreated: true, id, message: 'Job created' }];
    }
    const match = path.match(/^\/v0\/jobs\/([^/]+)$/);
    if (req.method === 'GET' && match) {
      const job = jobs.get(decodeURIComponent(match[1]));
      if (!job) throw new HttpFailure(404, `Job ${match[1]} not found`);
      if (autoAdvance) move(job);
      return [
        200,
        {
          id: job.id,
          name: job.name,
          status: job.status,
          ...(job.message ? { message: job.message } : {}),
          out: job.out === null ? null : { value: job.out },
        },
      ];
    }
    throw new HttpFailure(404, `No route ${req.method} ${path}`);
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
      try {
        const [status, payload] = route(req, body);
        send(status, payload);
      } catch (err) {
        const status = err instanceof HttpFailure ? err.status : 500;
        send(status, { message: (err as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    apiKeyId,
    jobs,
    requests,
    setAutoAdvance: (on) => {
      autoAdvance = on;
    },
    advance: (id, to) => {
      const job = id ? jobs.get(id) : [...jobs.values()].pop();
      if (!job) throw new Error(`no fake QMware job ${id ?? ''}`);
      if (to && !ORDER.includes(to)) job.status = to;
      else if (to) {
        while (job.status !== to && ORDER.includes(job.status) && job.status !== 'SUCCESS') move(job);
      } else move(job);
    },
    failJob: (id, message, status = 'ERROR') => {
      const job = jobs.get(id)!;
      job.status = status;
      job.message = message;
    },
    setHealth: (status) => {
      health = status;
    },
    failNext: (status, answer = {}, times = 1) => {
      for (let i = 0; i < times; i++) {
        failures.push({
          status,
          headers: answer.headers ?? {},
          body: answer.body ?? { message: `fake failure ${status}` },
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The measurements QMware answers for one OpenQASM 2 program, as the pilot reads them (see the file's doc). */
export function measurementsOf(
  qasm: string,
  codeType: string,
  shots: number,
  seed: number,
): { result: { number: number; hits: number; probability: number }[] }[] {
  const circuit: Circuit = parseProgram('QASM2', qasm);
  const [counts] = simulate({ circuit, shots, type: 'RUNNER', seed, maxQubits: circuit.numQubits });
  // Our COUNTS keys: the registers' hex values, the last-declared first.
  const outcomes = Object.entries(counts.data as Record<string, number>).map(([key, hits]) => {
    const values =
      key === ''
        ? []
        : key
            .split(' ')
            .map((h) => Number.parseInt(h, 16))
            .reverse();
    return { values, hits };
  });
  if (codeType === 'qasm2') {
    return circuit.cregs.map((_, r) => ({
      result: outcomes.map((o) => ({ number: o.values[r], hits: o.hits, probability: o.hits / shots })),
    }));
  }
  return [
    {
      result: outcomes.map((o) => ({
        number: circuit.cregs.reduce((n, reg, r) => n + o.values[r] * 2 ** reg.offset, 0),
        hits: o.hits,
        probability: o.hits / shots,
      })),
    },
  ];
}
