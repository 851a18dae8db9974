import { createHash } from 'node:crypto';
import type * as BraketSdk from '@aws-sdk/client-braket';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { AppConfig } from '../../../config/app-config';
import type { DeviceDescription, ProviderDescription } from '../../../devices/provider-catalog';
import { CircuitError, ENGINE_LANGUAGES, formatOutcomes, type CircuitLayout, type Observable } from '../../../quantum';
import {
  ProgramFailure,
  type BackendResult,
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
import { CredentialsMissing } from '../remote/remote-errors';
import { BraketServiceError, mapAwsError } from './braket-errors';
import { BraketDialectError, toBraketQasm } from './braket-qasm';
import {
  BraketResultError,
  clbitOutcomes,
  parityExpectation,
  shotCounts,
  type GateModelTaskResult,
} from './braket-results';

/**
 * Amazon Braket through the AWS SDK for JavaScript v3 (@aws-sdk/client-braket 3.1048, Braket API
 * 2019-09-01; @aws-sdk/client-s3 for the results), loaded on first use.
 *
 * Credentials come from the SDK's standard chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
 * AWS_PROFILE, web identity, container and instance roles): never from a job, which brings no token.
 * Every program (every program and observable, for ESTIMATOR) is one quantum task of OpenQASM 3 in
 * Braket's dialect (braket-qasm.ts); the task's clientToken is derived from the job's submission key
 * and the task's index, so that a submission tried again after a crash gets the tasks the first
 * attempt created (Braket's idempotency) instead of new ones: `findSubmitted` has nothing to find.
 * Results are read from results.json in the task's S3 output directory.
 */

/** The provider's name, as qunicorn-core's aws_pilot calls it. */
export const BRAKET_PROVIDER = 'AWS';

/** Braket's on-demand simulators (AWS's developer guide, "Amazon Braket simulators"). */
export const BRAKET_SIMULATORS: readonly DeviceDescription[] = [
  {
    name: 'SV1',
    numQubits: 34,
    isSimulator: true,
    isLocal: false,
    providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/sv1',
  },
  {
    name: 'DM1',
    numQubits: 17,
    isSimulator: true,
    isLocal: false,
    providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/dm1',
  },
  {
    name: 'TN1',
    numQubits: 50,
    isSimulator: true,
    isLocal: false,
    providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/tn1',
  },
];

/** The tag every task carries: the job's submission key. */
export const JOB_TAG = 'qunest-job';

type BraketConfig = AppConfig['providers']['aws'];

/** One program of a submitted job, as kept in the handle. */
interface ProgramEntry {
  layout: Pick<CircuitLayout, 'numClbits' | 'cregs' | 'measurements'>;
  /** RUNNER/SAMPLER: the index of its task. */
  task?: number;
  /** ESTIMATOR: per observable, its task's index and the qubits measured, or null for an identity. */
  observables?: ({ task: number; support: number[] } | null)[];
}

interface HandleData {
  type: 'RUNNER' | 'SAMPLER' | 'ESTIMATOR';
  deviceArn: string;
  device: string;
  shots: number;
  programs: ProgramEntry[];
}

interface Clients {
  sdk: typeof BraketSdk;
  s3sdk: typeof S3Sdk;
  braket: BraketSdk.BraketClient;
  s3: S3Sdk.S3Client;
}

const ACTIVE = new Set(['CREATED', 'QUEUED', 'RUNNING']);
const CANCEL_STATES = new Set(['CANCELLING', 'CANCELLED']);

export interface BraketBackendOptions {
  /** Tasks asked about at once (GetQuantumTask, CancelQuantumTask). */
  concurrency?: number;
}

export class BraketBackend implements RemoteBackend {
  readonly kind = 'remote' as const;
  private clients?: Promise<Clients>;
  private readonly concurrency: number;

  constructor(
    private readonly config: BraketConfig,
    private readonly deps: RemoteBackendDeps,
    opts: BraketBackendOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 8;
  }

  describe(): ProviderDescription {
    return {
      name: BRAKET_PROVIDER,
      withToken: false,
      languages: ['QASM2', 'QASM3', 'BRAKET'].filter((l) => ENGINE_LANGUAGES.includes(l)),
      devices: BRAKET_SIMULATORS,
    };
  }

  admissionProblem(job: { hasToken: boolean; type: string; shots: number }): { field: string; message: string } | null {
    if (job.hasToken) {
      return {
        field: 'token',
        message:
          "AWS jobs take no token: Amazon Braket is called with the server's AWS credentials (the standard AWS chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)",
      };
    }
    const missing = this.missingSetting();
    if (missing) return { field: 'deviceId', message: missing };
    if (!['RUNNER', 'SAMPLER', 'ESTIMATOR'].includes(job.type)) {
      return { field: 'type', message: `Amazon Braket runs RUNNER, SAMPLER and ESTIMATOR jobs, not ${job.type}` };
    }
    return null;
  }

  async submit(
    run: BackendRun,
    device: RemoteDevice,
    _creds: RemoteCredentials,
    submissionKey: string,
  ): Promise<RemoteHandle> {
    this.requireSettings();
    const { settings } = run;
    if (run.programs.length === 0) throw new ProgramFailure('the deployment has no programs to run', null);
    const type = settings.type;
    const observables = type === 'ESTIMATOR' ? checkObservables(settings.observables) : [];

    // Translate everything first: a program Braket cannot run fails the job before any task exists.
    const sources: string[] = [];
    const programs: ProgramEntry[] = [];
    for (const program of run.programs) {
      const where = `program ${program.position}`;
      let translated;
      try {
        translated = await this.deps.translate({
          language: program.language,
          source: program.source,
          to: 'QASM3',
          maxOperations: this.deps.maxOperations,
          withLayout: true,
        });
      } catch (err) {
        if (err instanceof CircuitError) {
          throw new ProgramFailure(`${where} does not parse: ${err.message}`, program.id, err, {
            line: err.line,
            column: err.column,
          });
        }
        throw new ProgramFailure(
          `${where} cannot be translated for Amazon Braket: ${(err as Error).message}`,
          program.id,
          err,
        );
      }
      const layout = translated.layout!;
      if (layout.measurements === null || layout.dynamic) {
        throw new ProgramFailure(
          `${where} measures mid-circuit, resets a qubit or computes per shot, which Amazon Braket's devices do not run (only terminal measurements)`,
          program.id,
        );
      }
      if (layout.numQubits > device.numQubits) {
        throw new ProgramFailure(
          `${where} uses ${layout.numQubits} qubits, more than the ${device.numQubits} of device ${BRAKET_PROVIDER}/${device.name}`,
          program.id,
        );
      }
      const entry: ProgramEntry = {
        layout: { numClbits: layout.numClbits, cregs: layout.cregs, measurements: layout.measurements },
      };
      try {
        if (type === 'ESTIMATOR') {
          entry.observables = observables.map((o) => {
            if (o.pauli.length !== layout.numQubits) {
              throw new ProgramFailure(
                `observable ${o.pauli} has ${o.pauli.length} Paulis, but ${where} has ${layout.numQubits} qubits (rightmost = qubit 0)`,
                program.id,
              );
            }
            if (/^I*$/i.test(o.pauli)) return null;
            const braket = toBraketQasm(translated.quantumCircuit, { pauli: o.pauli });
            sources.push(braket.source);
            return { task: sources.length - 1, support: braket.measured ?? [] };
          });
        } else {
          sources.push(toBraketQasm(translated.quantumCircuit).source);
          entry.task = sources.length - 1;
        }
      } catch (err) {
        if (err instanceof BraketDialectError) {
          throw new ProgramFailure(`${where} cannot run on Amazon Braket: ${err.message}`, program.id, err);
        }
        throw err;
      }
      programs.push(entry);
    }

    const { sdk, braket } = await this.client();
    const prefix = this.config.resultsPrefix.replace(/^\/+|\/+$/g, '');
    const arns: string[] = [];
    // One after the other: a crash in between leaves tasks whose clientTokens the next attempt repeats.
    for (let i = 0; i < sources.length; i++) {
      const out = await this.send('Amazon Braket', () =>
        braket.send(
          new sdk.CreateQuantumTaskCommand({
            deviceArn: device.providerDeviceId,
            shots: settings.shots,
            action: JSON.stringify({
              braketSchemaHeader: { name: 'braket.ir.openqasm.program', version: '1' },
              source: sources[i],
            }),
            outputS3Bucket: this.config.resultsBucket!,
            outputS3KeyPrefix: `${prefix ? `${prefix}/` : ''}jobs/${run.jobId}`,
            clientToken: clientToken(submissionKey, i),
            tags: { [JOB_TAG]: submissionKey.slice(0, 256) },
          }),
          this.callOptions(),
        ),
      );
      arns.push(out.quantumTaskArn!);
    }
    const data: HandleData = {
      type,
      deviceArn: device.providerDeviceId,
      device: device.name,
      shots: settings.shots,
      programs,
    };
    return { providerIds: arns, data: data as unknown as Record<string, unknown> };
  }

  /**
   * Nothing: submit's clientTokens make a submission tried again return the tasks of the first
   * attempt (Braket answers CreateQuantumTask with the existing task for a token it has seen), and
   * SearchQuantumTasks cannot filter by tag (its filters are quantumTaskArn, deviceArn, jobArn,
   * status and createdAt), so there is no cheaper way to find them.
   */
  findSubmitted(
    _submissionKey: string,
    _device: RemoteDevice,
    _creds: RemoteCredentials,
  ): Promise<RemoteHandle | null> {
    return Promise.resolve(null);
  }

  async poll(handle: RemoteHandle, _creds: RemoteCredentials): Promise<RemoteStatus> {
    const tasks = await this.getTasks(handle.providerIds, true);
    const failed = tasks.find((t) => t.status === 'FAILED');
    if (failed) {
      return {
        state: 'failed',
        message: `Amazon Braket task ${failed.quantumTaskArn} failed: ${failed.failureReason ?? 'no reason given'}`,
        data: { quantumTaskArn: failed.quantumTaskArn, failureReason: failed.failureReason ?? null },
      };
    }
    const active = tasks.filter((t) => ACTIVE.has(t.status ?? ''));
    if (tasks.some((t) => CANCEL_STATES.has(t.status ?? '')) && active.length === 0) return { state: 'canceled' };
    const completed = tasks.filter((t) => t.status === 'COMPLETED').length;
    if (completed === tasks.length) return { state: 'done' };
    if (tasks.some((t) => t.status === 'RUNNING') || completed > 0) {
      return { state: 'running', progress: completed / tasks.length };
    }
    const positions = tasks
      .map((t) => (t.queueInfo?.position !== undefined ? Number(t.queueInfo.position) : NaN))
      .filter((p) => Number.isFinite(p));
    return { state: 'queued', queuePosition: positions.length > 0 ? Math.min(...positions) : null };
  }

  async cancel(handle: RemoteHandle, _creds: RemoteCredentials): Promise<CancelOutcome> {
    const { sdk, braket } = await this.client();
    const tasks = await this.getTasks(handle.providerIds, false);
    let canceled = tasks.some((t) => CANCEL_STATES.has(t.status ?? ''));
    const ended: string[] = [];
    await this.each(tasks, async (task) => {
      if (!ACTIVE.has(task.status ?? '')) {
        if (!CANCEL_STATES.has(task.status ?? '')) ended.push(task.status ?? 'ended');
        return;
      }
      try {
        await this.send('Amazon Braket', () =>
          braket.send(
            new sdk.CancelQuantumTaskCommand({
              quantumTaskArn: task.quantumTaskArn!,
              clientToken: clientToken(`cancel:${task.quantumTaskArn}`, 0),
            }),
            this.callOptions(),
          ),
        );
        canceled = true;
      } catch (err) {
        // The task ended between our look and the cancel (Braket: ConflictException/ValidationException).
        if (!(err instanceof BraketServiceError)) throw err;
        const [now] = await this.getTasks([task.quantumTaskArn!], false);
        if (CANCEL_STATES.has(now.status ?? '')) canceled = true;
        else if (ACTIVE.has(now.status ?? '')) throw err;
        else ended.push(now.status ?? 'ended');
      }
    });
    if (canceled) return { canceled: true };
    const states = [...new Set(ended)].join(', ') || 'ended';
    return { canceled: false, reason: `the job's Braket tasks have already ended (${states})` };
  }

  async fetchResults(handle: RemoteHandle, run: BackendRun, _creds: RemoteCredentials): Promise<ProgramResults[]> {
    const data = handle.data as unknown as HandleData;
    const tasks = await this.getTasks(handle.providerIds, false);
    const results = await this.readResults(tasks);
    const metaOf = (i: number): Record<string, unknown> => {
      const task = tasks[i];
      const result = results[i];
      return {
        provider: BRAKET_PROVIDER,
        device: data.device,
        deviceArn: data.deviceArn,
        quantumTaskArn: task.quantumTaskArn,
        createdAt: task.createdAt?.toISOString() ?? null,
        endedAt: task.endedAt?.toISOString() ?? null,
        executionDurationMs: result.additionalMetadata?.simulatorMetadata?.executionDuration ?? null,
      };
    };
    return run.programs.map((program, p) => {
      const entry = data.programs[p];
      if (!entry) throw new Error(`the Braket submission has no tasks for program ${program.position}`);
      try {
        if (data.type === 'ESTIMATOR') {
          const observables = checkObservables(run.settings.observables);
          const list: BackendResult[] = (entry.observables ?? []).map((o, j) => {
            const obs = observables[j];
            const coefficient = obs.coefficient ?? 1;
            let ev = 1;
            let shots = data.shots;
            let meta: Record<string, unknown> = {
              provider: BRAKET_PROVIDER,
              device: data.device,
              deviceArn: data.deviceArn,
            };
            if (o) {
              const { counts, measuredQubits, shots: n } = shotCounts(results[o.task], data.shots);
              ev = parityExpectation(counts, measuredQubits, o.support);
              shots = n;
              meta = metaOf(o.task);
            }
            return {
              resultType: 'VALUE_AND_VARIANCE',
              data: { value: coefficient * ev, variance: coefficient * coefficient * Math.max(0, 1 - ev * ev) },
              meta: { observable: obs.pauli.toUpperCase(), coefficient, exact: false, shots, ...meta },
            };
          });
          return { programId: program.id, results: list };
        }
        const i = entry.task!;
        const { counts, measuredQubits, shots } = shotCounts(results[i], data.shots);
        const outcomes = clbitOutcomes(counts, measuredQubits, entry.layout.measurements ?? [], entry.layout.numClbits);
        const formatted = formatOutcomes(
          { cregs: entry.layout.cregs, numClbits: entry.layout.numClbits },
          data.type === 'SAMPLER' ? 'SAMPLER' : 'RUNNER',
          shots,
          outcomes,
          { ...metaOf(i), measuredQubits },
        );
        return { programId: program.id, results: formatted as BackendResult[] };
      } catch (err) {
        if (err instanceof BraketResultError) {
          throw new ProgramFailure(
            `the Braket results of program ${program.position} cannot be read: ${err.message}`,
            program.id,
            err,
          );
        }
        throw err;
      }
    });
  }

  async listDevices(_creds: RemoteCredentials): Promise<ListedDevice[]> {
    const { sdk, braket } = await this.client();
    const summaries: BraketSdk.DeviceSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.send('Amazon Braket', () =>
        braket.send(new sdk.SearchDevicesCommand({ filters: [], nextToken, maxResults: 100 }), this.callOptions()),
      );
      summaries.push(...(page.devices ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const live = summaries.filter((d) => d.deviceStatus !== 'RETIRED');
    const names = new Map<string, number>();
    for (const d of live) names.set(d.deviceName ?? '', (names.get(d.deviceName ?? '') ?? 0) + 1);
    const listed: (ListedDevice | null)[] = new Array<ListedDevice | null>(live.length).fill(null);
    await this.each(
      live.map((d, i) => ({ d, i })),
      async ({ d, i }) => {
        const device = await this.getDevice(d.deviceArn!);
        const caps = parseJson(device.deviceCapabilities);
        // Gate-model devices only: those that run OpenQASM (not analog Hamiltonian simulation).
        if (!hasOpenQasm(caps)) return;
        const name = d.deviceName ?? d.deviceArn!;
        listed[i] = {
          name: (names.get(name) ?? 0) > 1 ? `${d.providerName} ${name}` : name,
          providerDeviceId: d.deviceArn!,
          numQubits: qubitCount(caps),
          isSimulator: d.deviceType === 'SIMULATOR',
          online: d.deviceStatus === 'ONLINE',
        };
      },
    );
    return listed.filter((d): d is ListedDevice => d !== null);
  }

  async deviceStatus(device: RemoteDevice, _creds: RemoteCredentials): Promise<RemoteDeviceStatus> {
    const d = await this.getDevice(device.providerDeviceId);
    const queues = d.deviceQueueInfo ?? [];
    const sizes = queues.filter((q) => q.queue === 'QUANTUM_TASKS_QUEUE').map((q) => Number(q.queueSize));
    return {
      online: d.deviceStatus === 'ONLINE',
      queueLength: sizes.length > 0 && sizes.every(Number.isFinite) ? sizes.reduce((a, b) => a + b, 0) : null,
      message: d.deviceStatus === 'ONLINE' ? null : (d.deviceStatus ?? null),
      raw: {
        deviceArn: d.deviceArn,
        deviceName: d.deviceName,
        providerName: d.providerName,
        deviceType: d.deviceType,
        deviceStatus: d.deviceStatus,
        deviceQueueInfo: queues,
      },
    };
  }

  async calibration(device: RemoteDevice, _creds: RemoteCredentials): Promise<Record<string, unknown>> {
    const d = await this.getDevice(device.providerDeviceId);
    return parseJson(d.deviceCapabilities);
  }

  // ---------------------------------------------------------------------------------------------

  private missingSetting(): string | null {
    if (!this.config.region) return 'Amazon Braket is not configured on this server: AWS_REGION is not set';
    if (!this.config.resultsBucket) {
      return 'Amazon Braket is not configured on this server: BRAKET_S3_BUCKET (where Braket writes the results of tasks) is not set';
    }
    return null;
  }

  private requireSettings(): void {
    const missing = this.missingSetting();
    if (missing) throw new CredentialsMissing(missing, this.config.region ? 'BRAKET_S3_BUCKET' : 'AWS_REGION');
  }

  private callOptions(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.deps.requestTimeoutMs) };
  }

  /** The SDK's clients, made on first use: the SDK is loaded then, not when the service starts. */
  private client(): Promise<Clients> {
    if (!this.config.region) return Promise.reject(new CredentialsMissing(this.missingSetting()!, 'AWS_REGION'));
    this.clients ??= (async () => {
      const [sdk, s3sdk] = await Promise.all([import('@aws-sdk/client-braket'), import('@aws-sdk/client-s3')]);
      const common = {
        region: this.config.region,
        // The lifecycle waits and tries again (RemoteUnavailable, Retry-After): no retries inside the SDK.
        maxAttempts: 1,
        requestHandler: { requestTimeout: this.deps.requestTimeoutMs, connectionTimeout: this.deps.requestTimeoutMs },
      };
      const braket = new sdk.BraketClient({
        ...common,
        ...(this.config.braketEndpoint ? { endpoint: this.config.braketEndpoint } : {}),
      });
      const s3 = new s3sdk.S3Client({
        ...common,
        ...(this.config.s3Endpoint ? { endpoint: this.config.s3Endpoint, forcePathStyle: true } : {}),
      });
      return { sdk, s3sdk, braket, s3 };
    })();
    return this.clients;
  }

  private async send<T>(service: 'Amazon Braket' | 'Amazon S3', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw mapAwsError(err, service);
    }
  }

  private async getDevice(arn: string): Promise<BraketSdk.GetDeviceCommandOutput> {
    const { sdk, braket } = await this.client();
    return this.send('Amazon Braket', () =>
      braket.send(new sdk.GetDeviceCommand({ deviceArn: arn }), this.callOptions()),
    );
  }

  private async getTasks(arns: string[], queueInfo: boolean): Promise<BraketSdk.GetQuantumTaskCommandOutput[]> {
    const { sdk, braket } = await this.client();
    const out: BraketSdk.GetQuantumTaskCommandOutput[] = new Array<BraketSdk.GetQuantumTaskCommandOutput>(arns.length);
    await this.each(
      arns.map((arn, i) => ({ arn, i })),
      async ({ arn, i }) => {
        out[i] = await this.send('Amazon Braket', () =>
          braket.send(
            new sdk.GetQuantumTaskCommand({
              quantumTaskArn: arn,
              ...(queueInfo ? { additionalAttributeNames: ['QueueInfo'] } : {}),
            }),
            this.callOptions(),
          ),
        );
      },
    );
    return out;
  }

  private async readResults(tasks: BraketSdk.GetQuantumTaskCommandOutput[]): Promise<GateModelTaskResult[]> {
    const { s3sdk, s3 } = await this.client();
    const out: GateModelTaskResult[] = new Array<GateModelTaskResult>(tasks.length);
    await this.each(
      tasks.map((t, i) => ({ t, i })),
      async ({ t, i }) => {
        if (t.status !== 'COMPLETED') {
          throw new Error(`Amazon Braket task ${t.quantumTaskArn} has not completed (${t.status})`);
        }
        const key = `${(t.outputS3Directory ?? '').replace(/\/+$/, '')}/results.json`;
        const res = await this.send('Amazon S3', () =>
          s3.send(new s3sdk.GetObjectCommand({ Bucket: t.outputS3Bucket!, Key: key }), this.callOptions()),
        );
        const text = await this.send('Amazon S3', () => res.Body!.transformToString());
        try {
          out[i] = JSON.parse(text) as GateModelTaskResult;
        } catch {
          throw new Error(`s3://${t.outputS3Bucket}/${key} of Braket task ${t.quantumTaskArn} is not JSON`);
        }
      },
    );
    return out;
  }

  /** `fn` on every item, at most `concurrency` at a time; the first error wins once all have settled. */
  private async each<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let error: unknown = undefined;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++];
        try {
          await fn(item);
        } catch (err) {
          error ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    if (error !== undefined) throw error as Error;
  }
}

/** Braket's clientToken (1-64 characters) of task `index` of a submission. */
export function clientToken(submissionKey: string, index: number): string {
  const token = `${submissionKey}-${index}`;
  if (token.length <= 64 && /^[\w.:-]+$/.test(token)) return token;
  return `${createHash('sha256').update(submissionKey).digest('hex').slice(0, 48)}-${index}`;
}

function checkObservables(observables: Observable[] | null): Observable[] {
  if (!Array.isArray(observables) || observables.length === 0) {
    throw new ProgramFailure('ESTIMATOR needs at least one observable', null);
  }
  for (const o of observables) {
    if (typeof o.pauli !== 'string' || !/^[IXYZ]*$/i.test(o.pauli)) {
      throw new ProgramFailure(`observable ${JSON.stringify(o.pauli)} must be a string of I, X, Y and Z`, null);
    }
    if (o.coefficient !== undefined && !Number.isFinite(o.coefficient)) {
      throw new ProgramFailure(`coefficient of ${o.pauli} must be a finite number`, null);
    }
  }
  return observables;
}

function parseJson(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  // A plain object as it is; a JSON document as the SDK gives it (a string, or its LazyJsonString) parsed.
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return value as Record<string, unknown>;
  }
  try {
    const parsed: unknown = JSON.parse(String(value));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { raw: String(value) };
  }
}

function hasOpenQasm(caps: Record<string, unknown>): boolean {
  const action = caps.action as Record<string, unknown> | undefined;
  return !!action && 'braket.ir.openqasm.program' in action;
}

function qubitCount(caps: Record<string, unknown>): number {
  const paradigm = caps.paradigm as { qubitCount?: unknown } | undefined;
  const n = Number(paradigm?.qubitCount);
  return Number.isInteger(n) && n > 0 ? n : 0;
}
