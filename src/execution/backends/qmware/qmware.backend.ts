import type { ProviderDescription } from '../../../devices/provider-catalog';
import type { ProvidersConfig } from '../../../config/app-config';
import { ENGINE_LANGUAGES, formatOutcomes, type CircuitLayout } from '../../../quantum';
import {
  ProgramFailure,
  type BackendRun,
  type CancelOutcome,
  type ListedDevice,
  type ProgramResults,
  type RemoteBackend,
  type RemoteBackendDeps,
  type RemoteCredentials,
  type RemoteDevice,
  type RemoteDeviceStatus,
  type RemoteHandle,
  type RemoteStatus,
} from '../quantum-backend';
import { providerJson } from '../remote/http';
import { CredentialsMissing } from '../remote/remote-errors';

/**
 * QMware's dispatcher, as qunicorn-core's QMware pilot speaks to it (qunicorn/qunicorn-core
 * `qunicorn_core/core/pilotmanager/qmware_pilot.py`, and its batch version of PR #67 in the
 * SeQuenC-Consortium fork), over plain fetch with the headers `X-API-KEY` and `X-API-KEY-ID`:
 *
 * - POST {QMWARE_URL}/v0/requests `{name, maxExecutionTimeInMs: 60000, ttlAfterFinishedInMs:
 *   1200000, code: {type, code}, selectionParameters: [], programParameters: [{name: "shots",
 *   value: "<shots>"}]}` answers `{jobCreated, id, message}`; `type` is `qasm2` (device `dev`),
 *   `qasm2-gpu` (`dev-gpu`) or `qasm2-batch` (`dev-batch`, `code` then the JSON list of every
 *   program of the job: one request, each result matched back by its index).
 * - GET {QMWARE_URL}/v0/jobs/{id} answers `{status: WAITING | PREPARING | RUNNING | SUCCESS | ERROR |
 *   TIMEOUT | CANCELED, out: {value}}`, `out.value` the JSON text of the measurements: per circuit
 *   a list of `{result: [{number, hits, ...}]}`. On `dev`, one entry per classical register (in
 *   the order the circuit declares them), the i-th result of each register being the same
 *   outcome; on `dev-gpu` and `dev-batch`, one entry whose `number` holds all clbits (clbit j =
 *   bit j: the first register in the low bits).
 * - GET {QMWARE_URL}/health answers `{status: "UP"}` when the service runs.
 *
 * Programs are sent in OpenQASM 2 (the only language the pilot sends): as written when they are
 * QASM2, else translated by the engine. Credentials: the job's token `<API key id>:<API key>`,
 * else QMWARE_API_KEY_ID and QMWARE_API_KEY.
 */

type QmwareConfig = ProvidersConfig['qmware'];

export const QMWARE_PROVIDER = 'QMWARE';
/** qunicorn-core seeds its QMware devices with num_qubits -1: QMware publishes no width. */
export const QMWARE_UNKNOWN_WIDTH = -1;
const CODE_TYPES: Record<string, string> = { dev: 'qasm2', 'dev-gpu': 'qasm2-gpu', 'dev-batch': 'qasm2-batch' };
export const QMWARE_DEVICES = Object.keys(CODE_TYPES);
/** Values qunicorn-core sends with every request. */
const MAX_EXECUTION_MS = 60_000;
const TTL_AFTER_FINISHED_MS = 1_200_000;

export interface QmwareBackendOptions {
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

interface QmwareJob {
  id?: string;
  status?: string;
  out?: { value?: unknown } | null;
  message?: string;
  [key: string]: unknown;
}

interface Measurement {
  result: { number: number | string; hits: number }[];
}

export class QmwareBackend implements RemoteBackend {
  readonly kind = 'remote' as const;
  private readonly url: string;

  constructor(
    private readonly config: QmwareConfig,
    private readonly deps: RemoteBackendDeps,
    private readonly opts: QmwareBackendOptions = {},
  ) {
    this.url = config.url.replace(/\/+$/, '');
  }

  describe(): ProviderDescription {
    return {
      name: QMWARE_PROVIDER,
      withToken: true,
      languages: ['QASM2', ...ENGINE_LANGUAGES.filter((l) => l !== 'QASM2')],
      devices: QMWARE_DEVICES.map((name) => ({
        name,
        numQubits: QMWARE_UNKNOWN_WIDTH,
        isSimulator: true,
        isLocal: false,
        providerDeviceId: name,
      })),
    };
  }

  admissionProblem(job: { hasToken: boolean; type: string; shots: number }): { field: string; message: string } | null {
    if (job.type === 'ESTIMATOR') {
      return {
        field: 'type',
        message: 'QMware runs circuits for their counts only: ESTIMATOR jobs are not supported (use RUNNER or SAMPLER)',
      };
    }
    if (!job.hasToken && !(this.config.apiKey && this.config.apiKeyId)) {
      return {
        field: 'token',
        message:
          'QMware needs an API key and its id: give the job a token "<API key id>:<API key>" or set QMWARE_API_KEY and QMWARE_API_KEY_ID on the server',
      };
    }
    return null;
  }

  async submit(run: BackendRun, device: RemoteDevice, creds: RemoteCredentials, _submissionKey: string) {
    const target = deviceOf(device);
    const codeType = CODE_TYPES[target];
    if (run.settings.type === 'ESTIMATOR') throw new Error('QMware does not run ESTIMATOR jobs');
    const circuits = await this.prepare(run);
    const request = (name: string, code: string) => ({
      name,
      maxExecutionTimeInMs: MAX_EXECUTION_MS,
      ttlAfterFinishedInMs: TTL_AFTER_FINISHED_MS,
      code: { type: codeType, code },
      selectionParameters: [],
      programParameters: [{ name: 'shots', value: String(run.settings.shots) }],
    });
    const ids: string[] = [];
    if (target === 'dev-batch') {
      ids.push(
        await this.create(request(`Qunest job ${run.jobId}`, JSON.stringify(circuits.map((c) => c.qasm))), creds),
      );
    } else {
      for (const [i, c] of circuits.entries()) {
        ids.push(await this.create(request(`Qunest job ${run.jobId} program ${i}`, c.qasm), creds));
      }
    }
    return { providerIds: ids, data: { device: target, batched: target === 'dev-batch' } };
  }

  /** QMware's API lists no jobs, so an earlier submission cannot be found: null. */
  findSubmitted(): Promise<RemoteHandle | null> {
    return Promise.resolve(null);
  }

  async poll(handle: RemoteHandle, creds: RemoteCredentials): Promise<RemoteStatus> {
    const jobs = await Promise.all(handle.providerIds.map((id) => this.job(id, creds)));
    const states = jobs.map((j) => j.status);
    const failed = jobs.findIndex((j) => j.status === 'ERROR' || j.status === 'TIMEOUT');
    if (failed >= 0) {
      const job = jobs[failed];
      const which = handle.providerIds.length > 1 ? ` (program ${failed})` : '';
      return {
        state: 'failed',
        message: failureMessage(job, handle.providerIds[failed]) + which,
        data: { qmwareResult: job },
      };
    }
    if (states.includes('CANCELED')) return { state: 'canceled' };
    const unknown = states.find((s) => !['WAITING', 'PREPARING', 'RUNNING', 'SUCCESS'].includes(String(s)));
    if (unknown !== undefined) throw new Error(`QMware answered an unknown job status '${String(unknown)}'`);
    if (states.every((s) => s === 'SUCCESS')) return { state: 'done' };
    if (states.some((s) => s === 'PREPARING' || s === 'RUNNING' || s === 'SUCCESS')) return { state: 'running' };
    return { state: 'queued' };
  }

  /** qunicorn-core: "Canceling not supported on QMware devices"; QMware's API has no cancel. */
  cancel(): Promise<CancelOutcome> {
    return Promise.resolve({ canceled: false, reason: 'QMware cannot cancel a job: its API offers no cancel' });
  }

  async fetchResults(handle: RemoteHandle, run: BackendRun, creds: RemoteCredentials): Promise<ProgramResults[]> {
    const circuits = await this.prepare(run);
    const device = String(handle.data?.device ?? run.device.providerDeviceId ?? run.device.name);
    const batched = handle.data?.batched === true || device === 'dev-batch';
    const values = await Promise.all(
      handle.providerIds.map(async (id) => {
        const job = await this.job(id, creds);
        if (job.status !== 'SUCCESS') throw new Error(`QMware job ${id} is ${String(job.status)}, not SUCCESS`);
        return { id, measurements: parseOut(job, id) };
      }),
    );
    let perProgram: { id: string; measurements: unknown }[];
    if (batched) {
      const [only] = values;
      if (!Array.isArray(only.measurements) || only.measurements.length !== circuits.length) {
        throw new Error(
          `QMware batch job ${only.id} answered ${Array.isArray(only.measurements) ? only.measurements.length : 'no'} results for ${circuits.length} circuits`,
        );
      }
      perProgram = (only.measurements as unknown[]).map((m) => ({ id: only.id, measurements: m }));
    } else {
      if (values.length !== circuits.length) {
        throw new Error(`the job has ${values.length} QMware jobs for ${circuits.length} programs`);
      }
      perProgram = values;
    }
    const shots = run.settings.shots;
    const type = run.settings.type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER';
    return circuits.map((c, i) => {
      try {
        const outcomes = outcomesOf(perProgram[i].measurements, c.layout, device === 'dev');
        const meta = { device, qmwareJobId: perProgram[i].id, ...(batched ? { batchIndex: i } : {}) };
        return {
          programId: c.program.id,
          results: formatOutcomes(c.layout, type, shots, outcomes, meta).map((r) => ({
            resultType: r.resultType,
            data: r.data,
            meta: r.meta,
          })),
        };
      } catch (err) {
        throw new ProgramFailure(
          `the results of program ${c.program.position} could not be read: ${(err as Error).message}`,
          c.program.id,
          err,
        );
      }
    });
  }

  /** QMware has no device list (qunicorn-core: "the QMware API doesn't have the concept of devices"): its three devices, online as /health says. */
  async listDevices(): Promise<ListedDevice[]> {
    const { online } = await this.health();
    return QMWARE_DEVICES.map((name) => ({
      name,
      providerDeviceId: name,
      numQubits: QMWARE_UNKNOWN_WIDTH,
      isSimulator: true,
      online,
    }));
  }

  async deviceStatus(): Promise<RemoteDeviceStatus> {
    const { online, raw } = await this.health();
    return { online, queueLength: null, message: typeof raw.status === 'string' ? raw.status : null, raw };
  }

  calibration(device: RemoteDevice): Promise<Record<string, unknown>> {
    return Promise.resolve({
      device: device.name,
      message: 'QMware publishes no calibration or properties data of its devices',
    });
  }

  // ----- internals --------------------------------------------------------------------------

  private async prepare(run: BackendRun) {
    if (run.programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
    const out: { program: BackendRun['programs'][number]; qasm: string; layout: CircuitLayout }[] = [];
    for (const program of run.programs) {
      let translated;
      try {
        translated = await this.deps.translate({
          language: program.language,
          source: program.source,
          to: 'QASM2',
          maxOperations: this.deps.maxOperations,
          withLayout: true,
        });
      } catch (err) {
        throw new ProgramFailure(
          `program ${program.position} cannot be sent to QMware: ${(err as Error).message}`,
          program.id,
          err,
        );
      }
      if (!translated.layout) throw new Error('the engine answered no layout');
      // OpenQASM 2 goes as its author wrote it, as qunicorn-core sends it; the rest as the engine wrote it.
      const qasm = program.language === 'QASM2' ? program.source : translated.quantumCircuit;
      out.push({ program, qasm, layout: translated.layout });
    }
    return out;
  }

  private async create(body: Record<string, unknown>, creds: RemoteCredentials): Promise<string> {
    const answer = await this.call<{ jobCreated?: boolean; id?: string; message?: string }>(
      'POST',
      '/v0/requests',
      creds,
      body,
    );
    if (!answer?.jobCreated || !answer.id) {
      throw new Error(`QMware did not create the job${answer?.message ? `: ${answer.message}` : ''}`);
    }
    return answer.id;
  }

  private async job(id: string, creds: RemoteCredentials): Promise<QmwareJob> {
    const job = await this.call<QmwareJob>('GET', `/v0/jobs/${encodeURIComponent(id)}`, creds);
    if (!job || typeof job !== 'object') throw new Error(`QMware answered nothing for job ${id}`);
    return job;
  }

  private async health(): Promise<{ online: boolean; raw: Record<string, unknown> }> {
    const raw = await providerJson<Record<string, unknown>>(
      `${this.url}/health`,
      { method: 'GET', headers: { accept: 'application/json' } },
      { provider: QMWARE_PROVIDER, timeoutMs: this.deps.requestTimeoutMs, fetch: this.opts.fetch },
    );
    return { online: raw?.status === 'UP', raw: { ...(raw ?? {}) } };
  }

  /** The key id and key: the job's token `<id>:<key>`, else QMWARE_API_KEY_ID and QMWARE_API_KEY. */
  private credentials(creds: RemoteCredentials): { keyId: string; key: string } {
    const token = creds.token?.trim();
    if (token) {
      const colon = token.indexOf(':');
      if (colon <= 0 || colon === token.length - 1) {
        throw new Error('a QMware token is "<API key id>:<API key>" (the two values QMware issues, joined by a colon)');
      }
      return { keyId: token.slice(0, colon), key: token.slice(colon + 1) };
    }
    if (this.config.apiKey && this.config.apiKeyId) return { keyId: this.config.apiKeyId, key: this.config.apiKey };
    throw new CredentialsMissing(
      'QMware needs an API key and its id: the job has no token and QMWARE_API_KEY / QMWARE_API_KEY_ID are not set on the server',
      'token',
    );
  }

  private call<T>(method: string, path: string, creds: RemoteCredentials, body?: unknown): Promise<T> {
    const { keyId, key } = this.credentials(creds);
    const headers: Record<string, string> = { accept: 'application/json', 'X-API-KEY': key, 'X-API-KEY-ID': keyId };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return providerJson<T>(
      `${this.url}${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      { provider: QMWARE_PROVIDER, timeoutMs: this.deps.requestTimeoutMs, fetch: this.opts.fetch },
    );
  }
}

function deviceOf(device: RemoteDevice): string {
  const id = device.providerDeviceId || device.name;
  if (!(id in CODE_TYPES)) {
    throw new Error(`QMware has no device '${id}' (it has ${QMWARE_DEVICES.join(', ')})`);
  }
  return id;
}

function failureMessage(job: QmwareJob, id: string): string {
  const out = job.out?.value;
  const said = typeof job.message === 'string' && job.message ? job.message : typeof out === 'string' ? out : '';
  return `QMware job ${id} returned status ${String(job.status)}${said ? `: ${said.slice(0, 500)}` : ''}`;
}

/** `out.value`: the JSON text of the measurements. */
function parseOut(job: QmwareJob, id: string): unknown {
  const value = job.out?.value;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`QMware job ${id} answered results that are not JSON`);
  }
}

/** One circuit's measurements as outcomes of its clbits ('0'/'1' strings, clbit 0 first). */
function outcomesOf(measurements: unknown, layout: CircuitLayout, perRegister: boolean): [string, number][] {
  if (!Array.isArray(measurements)) throw new Error('QMware answered measurements that are not a list');
  const list = measurements as Measurement[];
  for (const m of list) {
    if (!m || !Array.isArray(m.result)) throw new Error("QMware answered a measurement without 'result'");
  }
  const n = layout.numClbits;
  if (n === 0) {
    const hits = (list[0]?.result ?? []).reduce((sum, r) => sum + r.hits, 0);
    return hits > 0 ? [['', hits]] : [];
  }
  const bitsOf = (value: number | string, size: number) => {
    const big = BigInt(value);
    let s = '';
    for (let j = 0; j < size; j++) s += (big >> BigInt(j)) & 1n ? '1' : '0';
    if (big >> BigInt(size) !== 0n) throw new Error(`QMware answered ${String(value)}, wider than ${size} bits`);
    return s;
  };
  const out: [string, number][] = [];
  if (perRegister) {
    // dev: one entry per register, in declaration order; the i-th result of each is the same outcome.
    if (list.length !== layout.cregs.length) {
      throw new Error(`QMware answered ${list.length} registers, the circuit has ${layout.cregs.length}`);
    }
    const length = list[0]?.result.length ?? 0;
    for (let i = 0; i < length; i++) {
      const bits = new Array<string>(n).fill('0');
      const hits = list[0].result[i].hits;
      layout.cregs.forEach((reg, r) => {
        const entry = list[r].result[i];
        if (!entry || entry.hits !== hits) throw new Error('QMware answered registers whose results do not line up');
        [...bitsOf(entry.number, reg.size)].forEach((b, j) => (bits[reg.offset + j] = b));
      });
      if (hits > 0) out.push([bits.join(''), hits]);
    }
    return out;
  }
  // dev-gpu, dev-batch: one entry whose number holds every clbit (clbit j = bit j).
  for (const entry of list[0]?.result ?? []) {
    if (entry.hits > 0) out.push([bitsOf(entry.number, n), entry.hits]);
  }
  return out;
}
