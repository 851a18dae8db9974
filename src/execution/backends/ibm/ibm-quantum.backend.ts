import type { ProviderDescription } from '../../../devices/provider-catalog';
import { CircuitError, ENGINE_LANGUAGES, type JobType, type Observable } from '../../../quantum';
import type { ProvidersConfig } from '../../../config/app-config';
import { checkLanguages } from '../program-runner';
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
import { ProviderHttpError, providerMessage } from '../remote/http';
import { RemoteUnavailable } from '../remote/remote-errors';
import { IamTokens } from './iam';
import { IbmRuntimeClient, type IbmAccount } from './ibm-client';
import { ibmAccount, ibmCredentialsProblem } from './ibm-credentials';
import { estimatorResults, samplerResults, type ClassicalLayout } from './ibm-results';
import type { components } from './openapi/qiskit-runtime';

type Schemas = components['schemas'];

export const IBM_PROVIDER = 'IBM';
/** The languages IBM jobs are written in (translated to OpenQASM 3 before they are sent). */
const IBM_LANGUAGES = ['QASM2', 'QASM3', 'QISKIT'];
/** The tag every job is given, besides `qunest:<submissionKey>`. */
const QUNEST_TAG = 'qunest';
/** IBM's reason code of a job it stopped because it ran longer than its maximum execution time. */
const RAN_TOO_LONG = 1305;

/** What a submitted job keeps for its polls and results (the handle's `data`, stored as JSON). */
interface IbmHandleData {
  /** The primitive: `sampler` or `estimator`. */
  primitive: string;
  backend: string;
  type?: JobType;
  shots?: number;
  /** The classical registers of each program, in order (absent for a job found by findSubmitted). */
  layouts?: ClassicalLayout[];
}

export interface IbmQuantumBackendOptions {
  /** For tests: the fetch the adapter calls IAM and the Runtime API with. */
  fetch?: typeof fetch;
  /** For tests: the clock of the IAM token cache. */
  now?: () => number;
}

interface PreparedProgram {
  qasm3: string;
  layout: ClassicalLayout & { numQubits: number; terminal: boolean };
}

/**
 * IBM Quantum through the Qiskit Runtime REST API (https://quantum.cloud.ibm.com/api, IBM-API-Version
 * 2026-04-15, see openapi/qiskit-runtime.ts). One Qunest job is one IBM job of the Sampler V2
 * primitive (RUNNER, SAMPLER) or the Estimator V2 primitive (ESTIMATOR), with one PUB per program,
 * each program translated to OpenQASM 3 by the engine. Credentials: ibm-credentials.ts. Devices are
 * the instance's backends (sync), none seeded.
 */
export class IbmQuantumBackend implements RemoteBackend {
  readonly kind = 'remote' as const;
  private readonly client: IbmRuntimeClient;

  constructor(
    private readonly config: ProvidersConfig['ibm'],
    private readonly deps: RemoteBackendDeps,
    opts: IbmQuantumBackendOptions = {},
  ) {
    const iam = new IamTokens({
      iamUrl: config.iamUrl.replace(/\/+$/, ''),
      timeoutMs: deps.requestTimeoutMs,
      fetch: opts.fetch,
      now: opts.now,
    });
    this.client = new IbmRuntimeClient({
      apiUrl: config.apiUrl.replace(/\/+$/, ''),
      iam,
      timeoutMs: deps.requestTimeoutMs,
      fetch: opts.fetch,
    });
  }

  describe(): ProviderDescription {
    return {
      name: IBM_PROVIDER,
      withToken: true,
      languages: IBM_LANGUAGES.filter((l) => ENGINE_LANGUAGES.includes(l)),
      devices: [],
    };
  }

  admissionProblem(job: { hasToken: boolean; type: string; shots: number }): { field: string; message: string } | null {
    const credentials = ibmCredentialsProblem(this.config, job.hasToken);
    if (credentials) return credentials;
    if (!['RUNNER', 'SAMPLER', 'ESTIMATOR'].includes(job.type)) {
      return { field: 'type', message: `IBM runs RUNNER, SAMPLER and ESTIMATOR jobs, not ${job.type}` };
    }
    return null;
  }

  async submit(
    run: BackendRun,
    device: RemoteDevice,
    creds: RemoteCredentials,
    submissionKey: string,
  ): Promise<RemoteHandle> {
    const account = this.account(creds);
    const prepared = await this.prepare(run, device);
    const type = run.settings.type;
    const shots = run.settings.shots;
    let body: Schemas['CreateJobRequest'];
    if (type === 'ESTIMATOR') {
      const observables = checkObservables(run, prepared);
      const terms = observables.map((o) => ({ [o.pauli.toUpperCase()]: o.coefficient ?? 1 }));
      // Estimator V2 takes a precision, not shots: the standard error aimed at, about 1/sqrt(shots)
      // for an observable of norm 1, so precision = 1/sqrt(shots) asks for about `shots` shots.
      const precision = 1 / Math.sqrt(shots);
      body = {
        program_id: 'estimator',
        backend: device.providerDeviceId,
        params: { pubs: prepared.map((p) => [p.qasm3, terms, null, precision]), version: 2 },
        tags: [QUNEST_TAG, tagOf(submissionKey)],
      };
    } else {
      body = {
        program_id: 'sampler',
        backend: device.providerDeviceId,
        params: { pubs: prepared.map((p) => [p.qasm3, null, shots]), version: 2 },
        tags: [QUNEST_TAG, tagOf(submissionKey)],
      };
    }
    const created = await this.client.createJob(account, body);
    const data: IbmHandleData = {
      primitive: body.program_id,
      backend: created.backend ?? device.providerDeviceId,
      type,
      shots,
      layouts: prepared.map((p) => ({ numClbits: p.layout.numClbits, cregs: p.layout.cregs })),
    };
    return { providerIds: [created.id], data: data as unknown as Record<string, unknown> };
  }

  async findSubmitted(
    submissionKey: string,
    device: RemoteDevice,
    creds: RemoteCredentials,
  ): Promise<RemoteHandle | null> {
    const account = this.account(creds);
    const tag = tagOf(submissionKey);
    const answer = await this.client.listJobs(account, { tags: [tag], sort: 'ASC', limit: 10, exclude_params: true });
    // The earliest job under the key: a second one could only come from a race the key is there to stop.
    const job = (answer.jobs ?? []).find((j) => !j.tags || j.tags.includes(tag));
    if (!job) return null;
    const data: IbmHandleData = {
      primitive: job.program?.id ?? 'sampler',
      backend: job.backend ?? device.providerDeviceId,
    };
    return { providerIds: [job.id], data: data as unknown as Record<string, unknown> };
  }

  async poll(handle: RemoteHandle, creds: RemoteCredentials): Promise<RemoteStatus> {
    const account = this.account(creds);
    const id = jobId(handle);
    const job = await this.client.getJob(account, id);
    const status = job.state?.status ?? job.status;
    const reason = job.state?.reason;
    const details = {
      ibmStatus: status,
      ...(job.state?.reason_code !== undefined ? { reasonCode: job.state.reason_code } : {}),
      ...(job.state?.reason_solution ? { reasonSolution: job.state.reason_solution } : {}),
    };
    switch (normalStatus(status)) {
      case 'queued':
        return { state: 'queued', queuePosition: await this.queuePosition(account, id) };
      case 'running':
        return { state: 'running' };
      case 'completed':
        return { state: 'done' };
      case 'cancelled':
        if (job.state?.reason_code === RAN_TOO_LONG || /ran too long/i.test(status)) {
          return { state: 'failed', message: reason || 'IBM stopped the job: it ran too long', data: details };
        }
        return { state: 'canceled' };
      case 'failed':
        return { state: 'failed', message: reason || 'IBM reported the job as failed', data: details };
      default:
        // A status this adapter does not know (IBM may add some): the job has not ended.
        return { state: 'queued', queuePosition: null };
    }
  }

  async cancel(handle: RemoteHandle, creds: RemoteCredentials): Promise<CancelOutcome> {
    const account = this.account(creds);
    try {
      await this.client.cancelJob(account, jobId(handle));
      return { canceled: true };
    } catch (err) {
      // 409 (and 400 in older versions): the job has already ended; 404: IBM has no such job.
      if (err instanceof ProviderHttpError && [400, 404, 409].includes(err.status)) {
        return { canceled: false, reason: providerMessage(err.body) || err.message };
      }
      throw err;
    }
  }

  async fetchResults(handle: RemoteHandle, run: BackendRun, creds: RemoteCredentials): Promise<ProgramResults[]> {
    const account = this.account(creds);
    const id = jobId(handle);
    const data = (handle.data ?? {}) as Partial<IbmHandleData>;
    const [answer, job, metrics] = await Promise.all([
      this.client.jobResults(account, id),
      this.client.getJob(account, id),
      this.client.jobMetrics(account, id).catch((err: unknown) => {
        if (err instanceof ProviderHttpError) return null;
        throw err;
      }),
    ]);
    const pubs = (answer as { results?: unknown[] } | undefined)?.results;
    if (!Array.isArray(pubs) || pubs.length !== run.programs.length) {
      throw new Error(
        `IBM answered ${Array.isArray(pubs) ? pubs.length : 'no'} results for the ${run.programs.length} programs of job ${id}`,
      );
    }
    const meta = providerMeta(id, job, metrics, answer as { metadata?: Schemas['PrimitiveResultMetadata'] });
    const type = run.settings.type;
    if (type === 'ESTIMATOR') {
      const observables = run.settings.observables ?? [];
      return run.programs.map((program, i) => ({
        programId: program.id,
        results: estimatorResults(
          pubs[i] as Schemas['EstimatorV2Result']['results'][number],
          observables,
          run.settings.shots,
          `program ${program.position}`,
          { ...meta, ...pubMeta(pubs[i]) },
        ),
      }));
    }
    const layouts =
      Array.isArray(data.layouts) && data.layouts.length === run.programs.length
        ? data.layouts
        : (await this.prepare(run, null)).map((p) => p.layout);
    return run.programs.map((program, i) => ({
      programId: program.id,
      results: samplerResults(
        pubs[i] as Schemas['SamplerV2Result']['results'][number],
        layouts[i],
        type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER',
        `program ${program.position}`,
        { ...meta, ...pubMeta(pubs[i]) },
      ),
    }));
  }

  async listDevices(creds: RemoteCredentials): Promise<ListedDevice[]> {
    const account = this.account(creds);
    const answer = await this.client.listBackends(account);
    return Promise.all(
      (answer.devices ?? []).map(async (d) => {
        let numQubits = d.qubits;
        let isSimulator = d.is_simulator;
        if (typeof numQubits !== 'number' || isSimulator === undefined) {
          const conf = await this.client.backendConfiguration(account, d.name);
          numQubits ??= conf.n_qubits;
          isSimulator ??= conf.simulator;
        }
        return {
          name: d.name,
          providerDeviceId: d.name,
          numQubits: typeof numQubits === 'number' ? numQubits : 0,
          isSimulator: isSimulator === true,
          online: d.status?.name === 'online',
        };
      }),
    );
  }

  async deviceStatus(device: RemoteDevice, creds: RemoteCredentials): Promise<RemoteDeviceStatus> {
    const account = this.account(creds);
    const s = await this.client.backendStatus(account, device.providerDeviceId);
    return {
      online: s.state === true,
      queueLength: typeof s.length_queue === 'number' ? Math.max(0, s.length_queue) : null,
      message: s.message || s.status || null,
      raw: s as unknown as Record<string, unknown>,
    };
  }

  async calibration(device: RemoteDevice, creds: RemoteCredentials): Promise<Record<string, unknown>> {
    const account = this.account(creds);
    return (await this.client.backendProperties(account, device.providerDeviceId)) ?? {};
  }

  private account(creds: RemoteCredentials): IbmAccount {
    return ibmAccount(this.config, creds);
  }

  /** The job's place in IBM's queue where IBM tells it (job metrics' position_in_queue), else null. */
  private async queuePosition(account: IbmAccount, id: string): Promise<number | null> {
    try {
      const metrics = await this.client.jobMetrics(account, id);
      return typeof metrics?.position_in_queue === 'number' ? metrics.position_in_queue : null;
    } catch (err) {
      if (err instanceof ProviderHttpError || err instanceof RemoteUnavailable) return null;
      throw err;
    }
  }

  /**
   * Every program of the run in OpenQASM 3 (translated in an engine thread) with its layout, checked
   * against what IBM's primitives take. `device` null: only the layouts are wanted (results of a job
   * found by findSubmitted), the checks were made when it was submitted.
   */
  private async prepare(run: BackendRun, device: RemoteDevice | null): Promise<PreparedProgram[]> {
    if (device) checkLanguages(run.programs, run.device);
    return Promise.all(
      run.programs.map(async (program) => {
        const where = `program ${program.position}`;
        let translation;
        try {
          translation = await this.deps.translate({
            language: program.language,
            source: program.source,
            to: 'QASM3',
            maxOperations: this.deps.maxOperations,
            withLayout: true,
          });
        } catch (err) {
          const e = err as Error;
          if (err instanceof CircuitError) {
            throw new ProgramFailure(`${where} does not parse: ${e.message}`, program.id, err, {
              line: err.line,
              column: err.column,
            });
          }
          throw new ProgramFailure(
            `${where} cannot be written in OpenQASM 3 for IBM: ${e?.message ?? String(err)}`,
            program.id,
            err,
          );
        }
        const layout = translation.layout;
        if (!layout) throw new ProgramFailure(`${where}: the engine gave no layout of the circuit`, program.id);
        if (device) checkProgram(run, program.id, where, layout, device);
        return {
          qasm3: translation.quantumCircuit,
          layout: {
            numQubits: layout.numQubits,
            numClbits: layout.numClbits,
            cregs: layout.cregs,
            terminal: layout.measurements !== null && !layout.dynamic,
          },
        };
      }),
    );
  }
}

/** Refuses a program IBM's primitive cannot run, with words the user can act on. */
function checkProgram(
  run: BackendRun,
  programId: string,
  where: string,
  layout: { numQubits: number; numClbits: number; measurements: unknown[] | null; dynamic: boolean },
  device: RemoteDevice,
): void {
  if (device.numQubits > 0 && layout.numQubits > device.numQubits) {
    throw new ProgramFailure(
      `${where} uses ${layout.numQubits} qubits, more than the ${device.numQubits} of IBM backend ${device.providerDeviceId}`,
      programId,
      undefined,
      { qubits: layout.numQubits, deviceQubits: device.numQubits },
    );
  }
  if (run.settings.type === 'ESTIMATOR') {
    if (layout.measurements === null || layout.dynamic) {
      throw new ProgramFailure(
        `${where} measures mid-circuit, resets or branches on measurements: IBM's Estimator takes expectation values on the final state of a circuit without them`,
        programId,
      );
    }
  } else if (layout.numClbits === 0) {
    throw new ProgramFailure(
      `${where} measures nothing: IBM's Sampler returns the measured classical bits, so the circuit must measure into a classical register`,
      programId,
    );
  }
}

/** The job's observables, checked against every program's width (qiskit order, rightmost = qubit 0). */
function checkObservables(run: BackendRun, prepared: PreparedProgram[]): Observable[] {
  const observables = run.settings.observables ?? [];
  if (observables.length === 0) throw new ProgramFailure('an ESTIMATOR job needs at least one observable', null);
  for (const o of observables) {
    if (typeof o.pauli !== 'string' || !/^[IXYZ]+$/i.test(o.pauli)) {
      throw new ProgramFailure(`observable ${JSON.stringify(o.pauli)} must be a string of I, X, Y and Z`, null);
    }
    if (o.coefficient !== undefined && !Number.isFinite(o.coefficient)) {
      throw new ProgramFailure(`coefficient of ${o.pauli} must be a finite number`, null);
    }
  }
  prepared.forEach((p, i) => {
    const program = run.programs[i];
    for (const o of observables) {
      if (o.pauli.length !== p.layout.numQubits) {
        throw new ProgramFailure(
          `observable ${o.pauli} has ${o.pauli.length} Paulis, but program ${program.position} has ${p.layout.numQubits} qubits (rightmost = qubit 0)`,
          program.id,
        );
      }
    }
  });
  return observables;
}

function tagOf(submissionKey: string): string {
  return `${QUNEST_TAG}:${submissionKey}`;
}

function jobId(handle: RemoteHandle): string {
  const id = handle.providerIds[0];
  if (!id) throw new Error('the job has no IBM job id');
  return id;
}

function normalStatus(status: string | undefined): string {
  const s = (status ?? '').toLowerCase();
  if (s.startsWith('cancelled') || s.startsWith('canceled')) return 'cancelled';
  if (s === 'queued' || s === 'initializing' || s === 'validating') return 'queued';
  if (s === 'running') return 'running';
  if (s === 'completed' || s === 'done') return 'completed';
  if (s === 'failed' || s === 'error') return 'failed';
  return s;
}

/** IBM's metadata of the job, added to every result's meta. */
function providerMeta(
  id: string,
  job: Schemas['JobResponse'],
  metrics: Schemas['JobMetrics'] | null,
  answer: { metadata?: Schemas['PrimitiveResultMetadata'] } | undefined,
): Record<string, unknown> {
  const meta: Record<string, unknown> = { provider: IBM_PROVIDER, providerJobId: id };
  if (job.backend) meta.backend = job.backend;
  const execution = answer?.metadata?.execution;
  if (execution?.execution_spans !== undefined) meta.executionSpans = execution.execution_spans;
  const running = metrics?.timestamps?.running;
  const finished = metrics?.timestamps?.finished;
  if (running) meta.startedAt = running;
  if (finished) meta.finishedAt = finished;
  if (running && finished) {
    const ms = Date.parse(finished) - Date.parse(running);
    if (Number.isFinite(ms) && ms >= 0) meta.timeTakenMs = ms;
  }
  const usage: Record<string, unknown> = {};
  if (typeof job.usage?.seconds === 'number') usage.seconds = job.usage.seconds;
  if (typeof metrics?.usage?.quantum_seconds === 'number') usage.quantumSeconds = metrics.usage.quantum_seconds;
  if (typeof metrics?.usage?.qpu_charge_time_seconds === 'number') {
    usage.qpuChargeTimeSeconds = metrics.usage.qpu_charge_time_seconds;
  }
  if (Object.keys(usage).length > 0) meta.usage = usage;
  return meta;
}

/** A PUB result's own metadata (as IBM gives it), when there is any. */
function pubMeta(pub: unknown): Record<string, unknown> {
  const m = (pub as { metadata?: unknown } | null)?.metadata;
  return m && typeof m === 'object' && Object.keys(m).length > 0 ? { pubMetadata: m } : {};
}
