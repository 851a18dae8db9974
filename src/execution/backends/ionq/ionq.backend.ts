import type { ProviderDescription } from '../../../devices/provider-catalog';
import type { ProvidersConfig } from '../../../config/app-config';
import { ENGINE_LANGUAGES, formatOutcomes, type CircuitLayout } from '../../../quantum';
import {
  ProgramFailure,
  type BackendResult,
  type BackendRun,
  type CancelOutcome,
  type ListedDevice,
  type ProgramResults,
  type ProgramSource,
  type RemoteBackend,
  type RemoteBackendDeps,
  type RemoteCredentials,
  type RemoteDevice,
  type RemoteDeviceStatus,
  type RemoteHandle,
  type RemoteStatus,
} from '../quantum-backend';
import { ProviderHttpError, providerJson } from '../remote/http';
import { CredentialsMissing } from '../remote/remote-errors';
import { basisChange, readIonqCircuit, type IonqCircuit } from './ionq-circuits';
import {
  clbitProbabilities,
  countsFromProbabilities,
  expectationValue,
  groupObservables,
  pauliOf,
  type ObservableGroup,
} from './ionq-results';

/**
 * IonQ through its REST API v0.4 (https://api.ionq.co/v0.4, docs.ionq.com "API v0.4": Create job,
 * Get job, Cancel a job, Get job cost, Get Backends, Get a Backend, characterizations), over plain
 * fetch with `Authorization: apiKey <key>`: the job's token, else IONQ_API_KEY.
 *
 * A job is one IonQ job: `ionq.circuit.v1` for one circuit, `ionq.multi-circuit.v1` for several
 * (the programs of a deployment, or an ESTIMATOR's circuits: one per program and group of
 * qubit-wise commuting observables, measured after a basis change). Programs in IONQ are sent as
 * their author wrote them (their gateset, `qis` or `native`, kept); others are translated by the
 * engine to IonQ JSON (`qis`). IonQ answers probabilities per basis state (qubit 0 the low bit),
 * read back through the program's measurements into our COUNTS/PROBABILITIES (RUNNER), QUASI_DIST
 * (SAMPLER) or VALUE_AND_VARIANCE (ESTIMATOR), with the shot counts made from the probabilities.
 *
 * Devices: `simulator` (ideal), `simulator.<model>` for each noise model IonQ lists for its
 * simulator (the job is sent to `simulator` with `noise.model`, and the job's seed as `noise.seed`),
 * and the QPUs as GET /backends lists them (`qpu.aria-1`, `qpu.forte-1`, ...).
 */

type IonqConfig = ProvidersConfig['ionq'];

export const IONQ_PROVIDER = 'IONQ';
/** IonQ's simulator: ideal up to 29 qubits (docs.ionq.com, "Simulation"); sync reads the width IonQ lists. */
export const IONQ_SIMULATOR = 'simulator';
const SIMULATOR_QUBITS = 29;
/** Jobs of this service carry these keys in their metadata (findSubmitted looks for them). */
const META_SUBMISSION = 'qunest_submission';
const META_JOB = 'qunest_job';
/** Pages of GET /jobs (100 jobs each, newest first) findSubmitted reads before it gives up. */
const FIND_PAGES = 5;

export interface IonqBackendOptions {
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/** The parts of IonQ's job object this adapter reads (API v0.4, GET /jobs/{UUID}). */
interface IonqJob {
  id: string;
  status?: string;
  type?: string;
  backend?: string;
  name?: string | null;
  metadata?: Record<string, unknown> | null;
  parent_job_id?: string | null;
  child_job_ids?: string[] | null;
  failure?: { error?: string; code?: string; message?: string } | null;
  noise?: { model?: string; seed?: number } | null;
  stats?: { qubits?: number; circuits?: number; gate_counts?: Record<string, number> } | null;
  results?: Record<string, { url?: string } | undefined> | null;
  execution_duration_ms?: number | null;
  predicted_wait_time_ms?: number | null;
}

interface IonqBackendInfo {
  backend: string;
  status?: string;
  qubits?: number;
  degraded?: boolean;
  average_queue_time?: number;
  noise_models?: string[];
  [key: string]: unknown;
}

/** What one program became: its circuits at IonQ and how to read them back. */
interface PreparedProgram {
  program: ProgramSource;
  layout: CircuitLayout;
  /** RUNNER/SAMPLER: one circuit; ESTIMATOR: one per group. */
  circuits: IonqCircuit[];
  groups: ObservableGroup[] | null;
}

export class IonqBackend implements RemoteBackend {
  readonly kind = 'remote' as const;
  /** IonQ's debiasing (symmetrized circuit variants, aggregated by IonQ): `settings.error_mitigation.debiasing`. */
  readonly errorMitigations = ['debiasing'] as const;

  /** IonQ's simulator takes one (`noise.seed`); its QPUs sample what they measure. */
  takesSeed(providerDeviceId: string): boolean {
    return ionqTarget({ name: providerDeviceId, providerDeviceId }).backend === IONQ_SIMULATOR;
  }
  private readonly apiUrl: string;

  constructor(
    private readonly config: IonqConfig,
    private readonly deps: RemoteBackendDeps,
    private readonly opts: IonqBackendOptions = {},
  ) {
    this.apiUrl = config.apiUrl.replace(/\/+$/, '');
  }

  describe(): ProviderDescription {
    return {
      name: IONQ_PROVIDER,
      withToken: true,
      // IonQ JSON as it is; anything else the engine reads is translated to it.
      languages: [IONQ_PROVIDER, ...ENGINE_LANGUAGES.filter((l) => l !== IONQ_PROVIDER)],
      devices: [
        {
          name: IONQ_SIMULATOR,
          numQubits: SIMULATOR_QUBITS,
          isSimulator: true,
          isLocal: false,
          providerDeviceId: IONQ_SIMULATOR,
        },
      ],
    };
  }

  admissionProblem(job: { hasToken: boolean; type: string; shots: number }): { field: string; message: string } | null {
    if (!job.hasToken && !this.config.apiKey) {
      return {
        field: 'token',
        message: 'IonQ needs an API key: give the job a token (an IonQ API key) or set IONQ_API_KEY on the server',
      };
    }
    return null;
  }

  // ----- jobs -------------------------------------------------------------------------------

  async submit(run: BackendRun, device: RemoteDevice, creds: RemoteCredentials, submissionKey: string) {
    const prepared = await this.prepare(run, device);
    const circuits = prepared.flatMap((p) =>
      p.circuits.map((c, g) => ({
        name: p.groups
          ? `program ${p.program.position}, observables ${p.groups[g].members.join(' ')}`
          : `program ${p.program.position}`,
        ...c,
      })),
    );
    const { backend, noiseModel } = ionqTarget(device);
    const body: Record<string, unknown> = {
      type: circuits.length === 1 ? 'ionq.circuit.v1' : 'ionq.multi-circuit.v1',
      name: `qunest job ${run.jobId}`,
      backend,
      shots: run.settings.shots,
      input:
        circuits.length === 1
          ? { gateset: circuits[0].gateset, qubits: circuits[0].qubits, circuit: circuits[0].circuit }
          : {
              gateset: circuits.every((c) => c.gateset === 'native') ? 'native' : 'qis',
              qubits: Math.max(...circuits.map((c) => c.qubits)),
              circuits: circuits.map((c) => ({ name: c.name, gateset: c.gateset, circuit: c.circuit })),
            },
      metadata: { [META_JOB]: run.jobId, [META_SUBMISSION]: submissionKey },
    };
    if (backend === IONQ_SIMULATOR) {
      body.noise = { model: noiseModel, ...(run.settings.seed !== null ? { seed: run.settings.seed } : {}) };
    }
    // IonQ turns debiasing on by itself for large QPU jobs: said either way, so `none` means none.
    body.settings = { error_mitigation: { debiasing: run.settings.errorMitigation === 'debiasing' } };
    const created = await this.call<{ id?: string }>('POST', '/jobs', creds, body);
    if (!created?.id) throw new Error('IonQ accepted the job but answered no job id');
    return handleOf(created.id, backend, noiseModel, circuits.length);
  }

  async findSubmitted(submissionKey: string, device: RemoteDevice, creds: RemoteCredentials) {
    const { backend, noiseModel } = ionqTarget(device);
    let next: string | undefined;
    for (let page = 0; page < FIND_PAGES; page++) {
      const query = new URLSearchParams({ limit: '100' });
      if (next) query.set('next', next);
      const answer = await this.call<{ jobs?: IonqJob[]; next?: string | null }>('GET', `/jobs?${query}`, creds);
      for (const job of answer?.jobs ?? []) {
        if (job.parent_job_id) continue;
        if (job.metadata?.[META_SUBMISSION] === submissionKey) {
          return handleOf(job.id, job.backend ?? backend, noiseModel, job.child_job_ids?.length || 1);
        }
      }
      if (!answer?.next) break;
      next = answer.next;
    }
    return null;
  }

  async poll(handle: RemoteHandle, creds: RemoteCredentials): Promise<RemoteStatus> {
    const job = await this.job(handle, creds);
    switch (job.status) {
      case 'submitted':
      case 'ready':
        return { state: 'queued' };
      case 'started':
      case 'running':
        return { state: 'running' };
      case 'completed':
        return { state: 'done' };
      case 'canceled':
        return { state: 'canceled' };
      case 'failed':
        return { state: 'failed', message: failureMessage(job), data: { failure: job.failure ?? null } };
      default:
        throw new Error(`IonQ answered an unknown job status '${String(job.status)}' for job ${job.id}`);
    }
  }

  async cancel(handle: RemoteHandle, creds: RemoteCredentials): Promise<CancelOutcome> {
    const id = handle.providerIds[0];
    try {
      const answer = await this.call<{ status?: string }>(
        'PUT',
        `/jobs/${encodeURIComponent(id)}/status/cancel`,
        creds,
      );
      if (answer?.status === undefined || answer.status === 'canceled') return { canceled: true };
      return { canceled: false, reason: `IonQ did not cancel job ${id}: it is ${answer.status}` };
    } catch (err) {
      if (err instanceof ProviderHttpError) return { canceled: false, reason: err.message };
      throw err;
    }
  }

  async fetchResults(handle: RemoteHandle, run: BackendRun, creds: RemoteCredentials): Promise<ProgramResults[]> {
    const job = await this.job(handle, creds);
    if (job.status !== 'completed') throw new Error(`IonQ job ${job.id} is ${job.status}, not completed`);
    const prepared = await this.prepare(run, null);
    const count = prepared.reduce((n, p) => n + p.circuits.length, 0);
    const distributions = await this.probabilities(job, count, creds);
    const cost = await this.cost(job.id, creds);
    const shots = run.settings.shots;
    const common: Record<string, unknown> = {
      backend: job.backend ?? handle.data?.backend,
      ionqJobId: job.id,
      ...(job.noise?.model ? { noiseModel: job.noise.model } : {}),
      ...(job.execution_duration_ms != null ? { executionDurationMs: job.execution_duration_ms } : {}),
      ...(job.stats?.gate_counts ? { gateCounts: job.stats.gate_counts } : {}),
      ...(cost ? { cost } : {}),
      errorMitigation: { method: run.settings.errorMitigation, applied: run.settings.errorMitigation === 'debiasing' },
    };
    let next = 0;
    return prepared.map((p) => {
      const mine = distributions.slice(next, next + p.circuits.length);
      next += p.circuits.length;
      try {
        return { programId: p.program.id, results: this.read(p, mine, run, shots, common) };
      } catch (err) {
        throw new ProgramFailure(
          `the results of program ${p.program.position} could not be read: ${(err as Error).message}`,
          p.program.id,
          err,
        );
      }
    });
  }

  // ----- devices ----------------------------------------------------------------------------

  async listDevices(creds: RemoteCredentials): Promise<ListedDevice[]> {
    const answer = await this.call<IonqBackendInfo[] | { backends?: IonqBackendInfo[] }>(
      'GET',
      '/backends',
      creds,
      undefined,
      {
        optionalKey: true,
      },
    );
    const backends = Array.isArray(answer) ? answer : (answer?.backends ?? []);
    const devices: ListedDevice[] = [];
    for (const b of backends) {
      if (!b || typeof b.backend !== 'string') continue;
      const online = b.status === 'available';
      const numQubits = typeof b.qubits === 'number' ? b.qubits : 0;
      const isSimulator = b.backend === IONQ_SIMULATOR;
      devices.push({ name: b.backend, providerDeviceId: b.backend, numQubits, isSimulator, online });
      if (isSimulator) {
        for (const model of b.noise_models ?? []) {
          if (model === 'ideal') continue;
          const name = `${IONQ_SIMULATOR}.${model}`;
          devices.push({ name, providerDeviceId: name, numQubits, isSimulator: true, online });
        }
      }
    }
    return devices;
  }

  async deviceStatus(device: RemoteDevice, creds: RemoteCredentials): Promise<RemoteDeviceStatus> {
    const { backend } = ionqTarget(device);
    const b = await this.call<IonqBackendInfo>('GET', `/backends/${encodeURIComponent(backend)}`, creds, undefined, {
      optionalKey: true,
    });
    const status = typeof b?.status === 'string' ? b.status : 'unknown';
    return {
      online: status === 'available',
      queueLength: null,
      message: b?.degraded ? `${status} (degraded)` : status,
      raw: { ...(b ?? {}) },
    };
  }

  async calibration(device: RemoteDevice, creds: RemoteCredentials): Promise<Record<string, unknown>> {
    const { backend } = ionqTarget(device);
    if (backend === IONQ_SIMULATOR) {
      return { backend, characterizations: [], message: 'IonQ publishes no characterization of its simulator' };
    }
    const answer = await this.call<Record<string, unknown>>(
      'GET',
      `/backends/${encodeURIComponent(backend)}/characterizations?limit=1`,
      creds,
    );
    return { backend, ...(answer ?? {}) };
  }

  // ----- internals --------------------------------------------------------------------------

  /** Translates every program (in the engine's threads) and builds its circuits. */
  private async prepare(run: BackendRun, device: RemoteDevice | null): Promise<PreparedProgram[]> {
    if (run.programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
    const estimator = run.settings.type === 'ESTIMATOR';
    const observables = run.settings.observables ?? [];
    if (estimator && observables.length === 0)
      throw new ProgramFailure('ESTIMATOR needs at least one observable', null);
    const out: PreparedProgram[] = [];
    for (const program of run.programs) {
      const where = `program ${program.position}`;
      let translated;
      try {
        translated = await this.deps.translate({
          language: program.language,
          source: program.source,
          to: IONQ_PROVIDER,
          maxOperations: this.deps.maxOperations,
          withLayout: true,
        });
      } catch (err) {
        throw new ProgramFailure(`${where} cannot be sent to IonQ: ${(err as Error).message}`, program.id, err);
      }
      const layout = translated.layout;
      if (!layout || layout.measurements === null || layout.dynamic) {
        throw new ProgramFailure(
          `${where} cannot be sent to IonQ: IonQ measures every qubit once, at the end (no mid-circuit measurement, reset or classical control)`,
          program.id,
        );
      }
      if (device && device.numQubits > 0 && layout.numQubits > device.numQubits) {
        throw new ProgramFailure(
          `${where} uses ${layout.numQubits} qubits, more than the ${device.numQubits} of IonQ's ${device.name}`,
          program.id,
          undefined,
          { qubits: layout.numQubits, deviceQubits: device.numQubits },
        );
      }
      const engineCircuit = readIonqCircuit(translated.quantumCircuit);
      if (estimator) {
        let groups: ObservableGroup[];
        try {
          groups = groupObservables(observables, engineCircuit.qubits);
        } catch (err) {
          throw new ProgramFailure(`${where}: ${(err as Error).message}`, program.id, err);
        }
        const circuits = groups.map((g) => ({
          gateset: 'qis' as const,
          qubits: engineCircuit.qubits,
          circuit: [...engineCircuit.circuit, ...basisChange(g.basis)],
        }));
        out.push({ program, layout, circuits, groups });
      } else {
        // IonQ JSON goes as its author wrote it (its gateset kept), the rest as the engine wrote it.
        const circuit = program.language === IONQ_PROVIDER ? readIonqCircuit(program.source) : engineCircuit;
        out.push({ program, layout, circuits: [circuit], groups: null });
      }
    }
    return out;
  }

  private read(
    p: PreparedProgram,
    distributions: Record<string, number>[],
    run: BackendRun,
    shots: number,
    common: Record<string, unknown>,
  ): BackendResult[] {
    if (p.groups) {
      const observables = run.settings.observables ?? [];
      const results: BackendResult[] = [];
      observables.forEach((o, index) => {
        const g = p.groups!.findIndex((group) => group.members.includes(index));
        const ev = expectationValue(distributions[g], pauliOf(o, p.layout.numQubits));
        const coefficient = o.coefficient ?? 1;
        results.push({
          resultType: 'VALUE_AND_VARIANCE',
          data: { value: coefficient * ev, variance: coefficient * coefficient * Math.max(0, 1 - ev * ev) },
          meta: { observable: String(o.pauli).toUpperCase(), coefficient, exact: false, shots, ...common },
        });
      });
      return results;
    }
    const outcomes = countsFromProbabilities(clbitProbabilities(distributions[0], p.layout), shots);
    const type = run.settings.type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER';
    return formatOutcomes(p.layout, type, shots, outcomes, { ...common, countsFrom: 'probabilities' }).map((r) => ({
      resultType: r.resultType,
      data: r.data,
      meta: r.meta,
    }));
  }

  /** The probabilities of each circuit of the job, in the order they were submitted. */
  private async probabilities(
    job: IonqJob,
    count: number,
    creds: RemoteCredentials,
  ): Promise<Record<string, number>[]> {
    const url = job.results?.probabilities?.url;
    const own = url ? this.resolve(url) : `${this.apiUrl}/jobs/${encodeURIComponent(job.id)}/results/probabilities`;
    const answer = await this.call<Record<string, unknown>>('GET', own, creds);
    const children = job.child_job_ids ?? [];
    if (count === 1 && children.length <= 1) {
      const inner = children.length === 1 ? answer?.[children[0]] : undefined;
      return [flat(inner && typeof inner === 'object' ? inner : answer)];
    }
    if (children.length !== count) {
      throw new Error(`IonQ job ${job.id} has ${children.length} circuits, but ${count} were submitted`);
    }
    // A multi-circuit job answers {child job id: probabilities}, its children in the order of the circuits.
    const out: Record<string, number>[] = [];
    for (const child of children) {
      let probs = answer?.[child];
      if (!probs || typeof probs !== 'object') {
        probs = await this.call('GET', `/jobs/${encodeURIComponent(child)}/results/probabilities`, creds);
      }
      out.push(flat(probs));
    }
    return out;
  }

  /** What IonQ charged (or estimates) for the job; null where it does not tell. */
  private async cost(id: string, creds: RemoteCredentials): Promise<Record<string, unknown> | null> {
    try {
      const answer = await this.call<{ cost?: unknown; estimated_cost?: unknown }>(
        'GET',
        `/jobs/${encodeURIComponent(id)}/cost`,
        creds,
      );
      if (!answer || (answer.cost == null && answer.estimated_cost == null)) return null;
      return { ...(answer.cost != null ? { actual: answer.cost } : {}), estimated: answer.estimated_cost ?? null };
    } catch {
      return null; // the cost is extra information: its absence never fails a job
    }
  }

  private async job(handle: RemoteHandle, creds: RemoteCredentials): Promise<IonqJob> {
    const id = handle.providerIds[0];
    if (!id) throw new Error('the IonQ job has no id');
    const job = await this.call<IonqJob>('GET', `/jobs/${encodeURIComponent(id)}`, creds);
    if (!job || typeof job !== 'object') throw new Error(`IonQ answered no job for ${id}`);
    return { ...job, id: job.id ?? id };
  }

  /** A results URL as IonQ gives it (`/v0.4/jobs/...`) against the configured API URL. */
  private resolve(url: string): string {
    if (/^https?:\/\//.test(url)) return url;
    return `${this.apiUrl}${url.replace(/^\/v\d+(\.\d+)?(?=\/)/, '')}`;
  }

  private key(creds: RemoteCredentials, optional = false): string | null {
    const key = creds.token?.trim() || this.config.apiKey;
    if (key) return key;
    if (optional) return null;
    throw new CredentialsMissing(
      'IonQ needs an API key: the job has no token and IONQ_API_KEY is not set on the server',
      'token',
    );
  }

  private call<T>(
    method: string,
    path: string,
    creds: RemoteCredentials,
    body?: unknown,
    opts: { optionalKey?: boolean } = {},
  ): Promise<T> {
    const key = this.key(creds, opts.optionalKey);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key) headers.authorization = `apiKey ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = /^https?:\/\//.test(path) ? path : `${this.apiUrl}${path}`;
    return providerJson<T>(
      url,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      { provider: IONQ_PROVIDER, timeoutMs: this.deps.requestTimeoutMs, fetch: this.opts.fetch },
    );
  }
}

/** IonQ's backend and noise model of one of our devices (`simulator.<model>` is the simulator with a noise model). */
export function ionqTarget(device: Pick<RemoteDevice, 'name' | 'providerDeviceId'>): {
  backend: string;
  noiseModel: string;
} {
  const id = device.providerDeviceId || device.name;
  if (id === IONQ_SIMULATOR || id.startsWith(`${IONQ_SIMULATOR}.`)) {
    return { backend: IONQ_SIMULATOR, noiseModel: id.slice(IONQ_SIMULATOR.length + 1) || 'ideal' };
  }
  return { backend: id, noiseModel: 'ideal' };
}

function handleOf(id: string, backend: string, noiseModel: string, circuits: number): RemoteHandle {
  return { providerIds: [id], data: { backend, noiseModel, circuits } };
}

function failureMessage(job: IonqJob): string {
  const f = job.failure;
  const said = f?.error || f?.message;
  if (!said) return `IonQ reports that job ${job.id} failed`;
  return f?.code ? `${said} (${f.code})` : said;
}

function flat(value: unknown): Record<string, number> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('IonQ answered results that are not probabilities per state');
  }
  return value as Record<string, number>;
}
