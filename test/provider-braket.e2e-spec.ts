/**
 * Contract tests of the Amazon Braket adapter (BraketBackend) against the fake Braket and S3 of
 * test/fakes/braket.fake.ts, through the real AWS SDK (@aws-sdk/client-braket, @aws-sdk/client-s3).
 * No Nest app: the adapter translates with the engine's translateTask in this thread.
 */
import { createServer } from 'node:net';
import type { AppConfig } from '../src/config/app-config';
import { BraketBackend, BRAKET_SIMULATORS, clientToken } from '../src/execution/backends/braket/braket.backend';
import { toBraketQasm } from '../src/execution/backends/braket/braket-qasm';
import { ProgramFailure, type BackendRun, type RemoteDevice } from '../src/execution/backends/quantum-backend';
import {
  CredentialsMissing,
  CredentialsRefused,
  RemoteUnavailable,
} from '../src/execution/backends/remote/remote-errors';
import { parseProgram, runStatevector, simulate, translateTask, type JobType, type Observable } from '../src/quantum';
import { braketToEngineQasm, defaultFakeDevices, startFakeBraket, type FakeBraket } from './fakes/braket.fake';
import { ASYMMETRIC, BELL, ENGINE_DEPS as deps } from './helpers/remote';

const SV1: RemoteDevice = { name: 'SV1', providerDeviceId: BRAKET_SIMULATORS[0].providerDeviceId!, numQubits: 34 };
const TN1: RemoteDevice = { name: 'TN1', providerDeviceId: BRAKET_SIMULATORS[2].providerDeviceId!, numQubits: 50 };
const NO_TOKEN = { token: null };

/** Many gates, controls and phases: everything the dialect rewriting has a rule for. */
const GATES = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] a;
qubit[3] b;
bit[2] c;
h a[0];
sx a[1];
sdg b[0];
tdg b[1];
p(0.3) b[2];
U(0.4, 0.5, 0.6) a[0];
rz(0.7) a[1];
cx a[0], b[0];
cz a[1], b[1];
cy b[1], b[2];
cp(0.9) a[0], a[1];
crz(1.1) b[0], a[0];
ch a[1], b[2];
cu(0.2, 0.3, 0.4, 0.5) b[2], a[0];
negctrl @ x a[0], b[1];
negctrl @ rx(0.8) b[1], a[1];
ccx a[0], a[1], b[0];
ctrl(2) @ ry(1.3) a[0], b[0], b[2];
negctrl @ ctrl @ h b[1], a[0], a[1];
cswap a[0], b[1], b[2];
ctrl(2) @ swap a[1], b[0], b[1], b[2];
swap a[0], b[2];
c = measure a;
`;

const config = (
  fake: FakeBraket,
  over: Partial<AppConfig['providers']['aws']> = {},
): AppConfig['providers']['aws'] => ({
  region: fake.region,
  braketEndpoint: fake.url,
  s3Endpoint: fake.s3Url,
  resultsBucket: fake.bucket,
  resultsPrefix: 'qunest/results',
  ...over,
});

let jobNumber = 0;
function runOf(
  sources: string[],
  settings: { shots?: number; type?: JobType; observables?: Observable[] } = {},
  language = 'QASM2',
): BackendRun {
  const jobId = `job-${++jobNumber}`;
  return {
    jobId,
    attempts: 1,
    device: {
      id: 'dev-sv1',
      providerName: 'AWS',
      name: 'SV1',
      numQubits: 34,
      acceptedLanguages: ['QASM2', 'QASM3'],
      isLocal: false,
      providerDeviceId: SV1.providerDeviceId,
    },
    programs: sources.map((source, i) => ({ id: `${jobId}-p${i}`, position: i, language, source })),
    settings: {
      shots: settings.shots ?? 1000,
      seed: null,
      type: settings.type ?? 'RUNNER',
      observables: settings.observables ?? null,
      errorMitigation: 'none',
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** The results of a job run to its end by the fake. */
async function runToEnd(backend: BraketBackend, fake: FakeBraket, run: BackendRun, device = SV1) {
  const handle = await backend.submit(run, device, NO_TOKEN, `key-${run.jobId}`);
  fake.advance(undefined, 'COMPLETED');
  expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'done' });
  return { handle, results: await backend.fetchResults(handle, run, NO_TOKEN) };
}

const ENV_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
];
const savedEnv: Record<string, string | undefined> = {};

let fake: FakeBraket;
let backend: BraketBackend;

beforeAll(async () => {
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.AWS_ACCESS_KEY_ID = 'AKIDQUNESTTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'qunest-test-secret';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/qunest-aws-credentials';
  process.env.AWS_CONFIG_FILE = '/nonexistent/qunest-aws-config';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  fake = await startFakeBraket({ autoAdvance: false, expectedAccessKeyId: 'AKIDQUNESTTEST', devicePageSize: 2 });
  backend = new BraketBackend(config(fake), deps);
});

afterAll(async () => {
  await fake.close();
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

beforeEach(() => {
  fake.setAutoAdvance(false);
  fake.expectedAccessKeyId = 'AKIDQUNESTTEST';
});

describe('describe and admission', () => {
  it('describes AWS with the on-demand simulators and no token', () => {
    const d = backend.describe();
    expect(d.name).toBe('AWS');
    expect(d.withToken).toBe(false);
    expect(d.languages).toEqual(['QASM2', 'QASM3', 'BRAKET']);
    expect(d.devices.map((x) => [x.name, x.numQubits, x.providerDeviceId, x.isSimulator, x.isLocal])).toEqual([
      ['SV1', 34, 'arn:aws:braket:::device/quantum-simulator/amazon/sv1', true, false],
      ['DM1', 17, 'arn:aws:braket:::device/quantum-simulator/amazon/dm1', true, false],
      ['TN1', 50, 'arn:aws:braket:::device/quantum-simulator/amazon/tn1', true, false],
    ]);
  });

  it('refuses a job token, and a server without AWS_REGION or BRAKET_S3_BUCKET, naming them', () => {
    const job = { hasToken: false, type: 'RUNNER', shots: 100 };
    expect(backend.admissionProblem(job)).toBeNull();
    expect(backend.admissionProblem({ ...job, type: 'ESTIMATOR' })).toBeNull();
    const token = backend.admissionProblem({ ...job, hasToken: true });
    expect(token?.field).toBe('token');
    expect(token?.message).toMatch(/^AWS jobs take no token: .*AWS_ACCESS_KEY_ID/);
    const noRegion = new BraketBackend(config(fake, { region: undefined }), deps).admissionProblem(job);
    expect(noRegion).toEqual({ field: 'deviceId', message: expect.stringContaining('AWS_REGION') });
    const noBucket = new BraketBackend(config(fake, { resultsBucket: undefined }), deps).admissionProblem(job);
    expect(noBucket).toEqual({ field: 'deviceId', message: expect.stringContaining('BRAKET_S3_BUCKET') });
  });

  it('without AWS_REGION a call says so (CredentialsMissing naming AWS_REGION), without calling AWS', async () => {
    const before = fake.requests.length;
    const err = await rejection(new BraketBackend(config(fake, { region: undefined }), deps).listDevices(NO_TOKEN));
    expect(err).toBeInstanceOf(CredentialsMissing);
    expect((err as CredentialsMissing).field).toBe('AWS_REGION');
    expect(fake.requests.length).toBe(before);
  });
});

describe('a job from submit to results', () => {
  it('submits a Bell circuit as one OpenQASM 3 task in Braket dialect, and follows it queued → running → done', async () => {
    const run = runOf([BELL], { shots: 1000 });
    const handle = await backend.submit(run, SV1, NO_TOKEN, 'bell-key');
    expect(handle.providerIds).toHaveLength(1);
    const arn = handle.providerIds[0];
    expect(arn).toMatch(/^arn:aws:braket:us-east-1:\d{12}:quantum-task\//);

    const create = fake.requests.filter((r) => r.method === 'POST' && r.path === '/quantum-task').at(-1)!;
    const body = create.body as Record<string, any>;
    expect(body.deviceArn).toBe(SV1.providerDeviceId);
    expect(body.shots).toBe(1000);
    expect(body.outputS3Bucket).toBe(fake.bucket);
    expect(body.outputS3KeyPrefix).toBe(`qunest/results/jobs/${run.jobId}`);
    expect(body.clientToken).toBe('bell-key-0');
    expect(body.tags).toEqual({ 'qunest-job': 'bell-key' });
    const action = JSON.parse(body.action);
    expect(action.braketSchemaHeader).toEqual({ name: 'braket.ir.openqasm.program', version: '1' });
    expect(action.source).not.toMatch(/include/);
    expect(action.source).toMatch(/^OPENQASM 3\.0;\nqubit\[2\] q;\nbit\[2\] c;\nh q\[0\];\ncnot q\[0\], q\[1\];/);
    expect(create.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDQUNESTTEST\/\d{8}\/us-east-1\/braket\/aws4_request/,
    );

    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'queued', queuePosition: null });
    const get = fake.requests.at(-1)!;
    expect(get.path).toBe(`/quantum-task/${arn}`);
    fake.advance(arn, 'QUEUED');
    fake.tasks.get(arn)!.queuePosition = '3';
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'queued', queuePosition: 3 });
    fake.advance(arn);
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'running', progress: 0 });
    fake.advance(arn);
    expect(fake.tasks.get(arn)!.status).toBe('COMPLETED');
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'done' });

    const [program] = await backend.fetchResults(handle, run, NO_TOKEN);
    expect(program.programId).toBe(run.programs[0].id);
    const [counts, probabilities] = program.results;
    expect(counts.resultType).toBe('COUNTS');
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0x3']);
    const c = counts.data as Record<string, number>;
    expect(c['0x0'] + c['0x3']).toBe(1000);
    expect(c['0x0']).toBeGreaterThan(400);
    expect(c['0x3']).toBeGreaterThan(400);
    expect(probabilities.resultType).toBe('PROBABILITIES');
    expect((probabilities.data as Record<string, number>)['0x3']).toBeCloseTo(c['0x3'] / 1000, 12);
    expect(counts.meta).toMatchObject({
      format: 'hex',
      shots: 1000,
      registers: [{ name: 'c', size: 2 }],
      provider: 'AWS',
      device: 'SV1',
      deviceArn: SV1.providerDeviceId,
      quantumTaskArn: arn,
      measuredQubits: [0, 1],
    });
    expect(typeof counts.meta.executionDurationMs).toBe('number');
    expect(counts.meta.endedAt).toEqual(expect.any(String));
    // The results came from the task's output directory in S3, path-style.
    const s3 = fake.requests.filter((r) => r.service === 's3').at(-1)!;
    expect(s3.path).toBe(`/${fake.bucket}/qunest/results/jobs/${run.jobId}/${fake.tasks.get(arn)!.id}/results.json`);
  });

  it('keeps the bit order: X on qubit 0 of 3, measured into the second bit of the last register, as the local simulator gives it', async () => {
    const run = runOf([ASYMMETRIC], { shots: 64 });
    const { results } = await runToEnd(backend, fake, run);
    const local = simulate({
      circuit: parseProgram('QASM2', ASYMMETRIC),
      shots: 64,
      seed: 1,
      type: 'RUNNER',
      maxQubits: 5,
    });
    expect(results[0].results[0].data).toEqual({ '0x2 0x0': 64 });
    expect(results[0].results[0].data).toEqual(local[0].data);
    expect(results[0].results[0].meta.registers).toEqual((local[0].meta as { registers: unknown }).registers);
  });

  it('SAMPLER answers a quasi-distribution over all clbits', async () => {
    const run = runOf([ASYMMETRIC, BELL], { shots: 200, type: 'SAMPLER' });
    const { handle, results } = await runToEnd(backend, fake, run);
    expect(handle.providerIds).toHaveLength(2);
    expect(results.map((r) => r.programId)).toEqual(run.programs.map((p) => p.id));
    expect(results[0].results).toHaveLength(1);
    expect(results[0].results[0].resultType).toBe('QUASI_DIST');
    expect(results[0].results[0].data).toEqual({ '0x4': 1 });
    const bell = results[1].results[0].data as Record<string, number>;
    expect(Object.keys(bell).sort()).toEqual(['0x0', '0x3']);
    expect(bell['0x0'] + bell['0x3']).toBeCloseTo(1, 12);
  });

  it('reports progress over several tasks: running with the fraction completed', async () => {
    const run = runOf([BELL, BELL, ASYMMETRIC, BELL]);
    const handle = await backend.submit(run, SV1, NO_TOKEN, `progress-${run.jobId}`);
    fake.advance(handle.providerIds[0], 'COMPLETED');
    fake.advance(handle.providerIds[1], 'QUEUED');
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'running', progress: 0.25 });
    fake.advance(handle.providerIds[1], 'COMPLETED');
    fake.advance(handle.providerIds[2], 'RUNNING');
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'running', progress: 0.5 });
  });

  it('moves tasks on by itself on every poll when auto-advance is on', async () => {
    fake.setAutoAdvance(true);
    const run = runOf([BELL], { shots: 10 });
    const handle = await backend.submit(run, SV1, NO_TOKEN, `auto-${run.jobId}`);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push((await backend.poll(handle, NO_TOKEN)).state);
    expect(seen).toEqual(['queued', 'running', 'done', 'done', 'done']);
  });

  it('reads results.json that gives measurementProbabilities or measurementCounts instead of measurements', async () => {
    for (const resultFormat of ['measurementProbabilities', 'measurementCounts'] as const) {
      const other = await startFakeBraket({ autoAdvance: false, resultFormat });
      try {
        const b = new BraketBackend(config(other), deps);
        const { results } = await runToEnd(b, other, runOf([ASYMMETRIC], { shots: 50 }));
        expect(results[0].results[0].data).toEqual({ '0x2 0x0': 50 });
        const raw = JSON.parse([...other.objects.values()][0]);
        expect(raw[resultFormat]).toBeDefined();
        expect(raw.measurements).toBeUndefined();
      } finally {
        await other.close();
      }
    }
  });
});

describe("Braket's OpenQASM dialect", () => {
  it('writes every gate the way Braket names it, with the same state as the program (up to a global phase)', () => {
    const t = translateTask({ language: 'QASM3', source: GATES, to: 'QASM3', withLayout: true });
    expect(t.quantumCircuit).toMatch(/ctrl @|negctrl @|include "stdgates.inc"|U\(/);
    const braket = toBraketQasm(t.quantumCircuit).source;
    expect(braket).not.toMatch(/include|ctrl|@|\bcx\b|\bsdg\b|\btdg\b|\bsx\b|\bU\(|\bp\(/);
    expect(braket).toMatch(/\bsi\b/);
    expect(braket).toMatch(/\bti\b/);
    expect(braket).toMatch(/\bv q/);
    expect(braket).toMatch(/\bphaseshift\(/);
    expect(braket).toMatch(/\bcnot\b/);
    expect(braket).toMatch(/\bccnot\b/);
    expect(braket).toMatch(/\bcswap\b/);
    expect(braket).toMatch(/#pragma braket unitary \[\[/);
    const sv1 = defaultFakeDevices()[0];
    const original = runStatevector(parseProgram('QASM3', GATES));
    const rewritten = runStatevector(parseProgram('QASM3', braketToEngineQasm(braket, sv1)));
    const a = original.data;
    const b = rewritten.data;
    // <a|b> has modulus 1 exactly when the states are equal up to a global phase.
    let re = 0;
    let im = 0;
    for (let i = 0; i < a.length; i += 2) {
      re += a[i] * b[i] + a[i + 1] * b[i + 1];
      im += a[i] * b[i + 1] - a[i + 1] * b[i];
    }
    expect(Math.hypot(re, im)).toBeCloseTo(1, 9);
  });

  it('runs a gate-rich program on SV1 with the outcomes the program gives locally', async () => {
    const source = `OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
x q[0];
ch q[0], q[1];
ctrl(2) @ h q[0], q[1], q[2];
negctrl @ x q[2], q[1];
c = measure q;
`;
    const run = runOf([source], { shots: 400 }, 'QASM3');
    const { results } = await runToEnd(backend, fake, run);
    const local = simulate({
      circuit: parseProgram('QASM3', source),
      shots: 400,
      seed: 3,
      type: 'RUNNER',
      maxQubits: 5,
    });
    expect(Object.keys(results[0].results[0].data).sort()).toEqual(Object.keys(local[0].data).sort());
  });

  it('refuses mid-circuit measurement and reset before creating any task', async () => {
    const before = fake.tasks.size;
    const source = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nreset q[0];\nx q[0];\nmeasure q[0] -> c[0];\n`;
    const run = runOf([BELL, source]);
    const err = await rejection(backend.submit(run, SV1, NO_TOKEN, `mcm-${run.jobId}`));
    expect(err).toBeInstanceOf(ProgramFailure);
    expect((err as ProgramFailure).programId).toBe(run.programs[1].id);
    expect(err.message).toMatch(/program 1 measures mid-circuit/);
    expect(fake.tasks.size).toBe(before);
  });

  it('a program that does not parse fails with its line', async () => {
    const run = runOf(['OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n']);
    const err = await rejection(backend.submit(run, SV1, NO_TOKEN, `bad-${run.jobId}`));
    expect(err).toBeInstanceOf(ProgramFailure);
    expect(err.message).toMatch(/^program 0 does not parse: /);
  });

  it("what a device cannot run fails permanently with Braket's own message (ValidationException)", async () => {
    // TN1 has no unitary pragma: a gate with two controls on a rotation needs one.
    const source = `OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[3] q;\nbit[3] c;\nctrl(2) @ rz(0.5) q[0], q[1], q[2];\nc = measure q;\n`;
    const run = runOf([source], {}, 'QASM3');
    const err = await rejection(backend.submit(run, TN1, NO_TOKEN, `tn1-${run.jobId}`));
    expect(err).not.toBeInstanceOf(RemoteUnavailable);
    expect(err).not.toBeInstanceOf(CredentialsRefused);
    expect(err.message).toMatch(
      /^Amazon Braket refused the request \(ValidationException: \[line \d+\] uses the pragma braket unitary/,
    );
  });
});

describe('ESTIMATOR', () => {
  it('measures each observable in its basis on Braket and answers value and variance as the local estimator', async () => {
    const source = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nh q[0];\ncx q[0], q[1];\nry(1.0471975511965976) q[2];\n`;
    const observables = [
      { pauli: 'IZZ', coefficient: 2 },
      { pauli: 'IXX' },
      { pauli: 'IYY', coefficient: 0.5 },
      { pauli: 'ZII' },
      { pauli: 'III', coefficient: 3 },
    ];
    const run = runOf([source], { type: 'ESTIMATOR', observables, shots: 4000 });
    const { handle, results } = await runToEnd(backend, fake, run);
    // One task per observable that is not the identity.
    expect(handle.providerIds).toHaveLength(4);
    const sources = handle.providerIds.map((arn) => fake.tasks.get(arn)!.source);
    expect(sources[1]).toMatch(/h q\[0\];\nh q\[1\];\nm\[0\] = measure q\[0\];\nm\[1\] = measure q\[1\];\n$/);
    expect(sources[2]).toMatch(/si q\[0\];\nh q\[0\];\nsi q\[1\];\nh q\[1\];/);
    const values = results[0].results.map((r) => r.data as { value: number; variance: number });
    expect(results[0].results.every((r) => r.resultType === 'VALUE_AND_VARIANCE')).toBe(true);
    expect(values[0]).toEqual({ value: 2, variance: 0 });
    expect(values[1]).toEqual({ value: 1, variance: 0 });
    expect(values[2]).toEqual({ value: -0.5, variance: 0 });
    // <Z> of ry(π/3)|0> is 1/2: sampled from 4000 shots (the fake's seed is fixed).
    expect(values[3].value).toBeGreaterThan(0.45);
    expect(values[3].value).toBeLessThan(0.55);
    expect(values[3].variance).toBeCloseTo(1 - values[3].value ** 2, 12);
    expect(values[4]).toEqual({ value: 3, variance: 0 });
    expect(results[0].results[0].meta).toMatchObject({
      observable: 'IZZ',
      coefficient: 2,
      exact: false,
      shots: 4000,
      device: 'SV1',
      quantumTaskArn: handle.providerIds[0],
    });
    expect(results[0].results[4].meta).toMatchObject({ observable: 'III', coefficient: 3, exact: false });
  });

  it('refuses an observable whose length is not the number of qubits', async () => {
    const run = runOf([BELL], { type: 'ESTIMATOR', observables: [{ pauli: 'ZZZ' }] });
    const err = await rejection(backend.submit(run, SV1, NO_TOKEN, `obs-${run.jobId}`));
    expect(err).toBeInstanceOf(ProgramFailure);
    expect(err.message).toMatch(/observable ZZZ has 3 Paulis, but program 0 has 2 qubits/);
  });
});

describe('failure and cancel', () => {
  it("a failed task fails the job with Braket's failureReason", async () => {
    const run = runOf([BELL, BELL]);
    const handle = await backend.submit(run, SV1, NO_TOKEN, `fail-${run.jobId}`);
    fake.advance(handle.providerIds[0], 'COMPLETED');
    fake.fail(handle.providerIds[1], 'Simulation exceeded the maximum runtime');
    const status = await backend.poll(handle, NO_TOKEN);
    expect(status).toEqual({
      state: 'failed',
      message: `Amazon Braket task ${handle.providerIds[1]} failed: Simulation exceeded the maximum runtime`,
      data: { quantumTaskArn: handle.providerIds[1], failureReason: 'Simulation exceeded the maximum runtime' },
    });
  });

  it('cancels the tasks that have not ended, and then reports the job canceled', async () => {
    const run = runOf([BELL, BELL]);
    const handle = await backend.submit(run, SV1, NO_TOKEN, `cancel-${run.jobId}`);
    fake.advance(handle.providerIds[0], 'QUEUED');
    fake.advance(handle.providerIds[1], 'RUNNING');
    expect(await backend.cancel(handle, NO_TOKEN)).toEqual({ canceled: true });
    const cancels = fake.requests.filter((r) => r.method === 'PUT');
    expect(
      cancels
        .slice(-2)
        .map((r) => r.path)
        .sort(),
    ).toEqual(handle.providerIds.map((a) => `/quantum-task/${a}/cancel`).sort());
    expect((cancels.at(-1)!.body as { clientToken: string }).clientToken).toEqual(expect.any(String));
    expect(handle.providerIds.map((a) => fake.tasks.get(a)!.status)).toEqual(['CANCELLING', 'CANCELLING']);
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'canceled' });
    fake.advance();
    expect(await backend.poll(handle, NO_TOKEN)).toEqual({ state: 'canceled' });
  });

  it('refuses to cancel a job whose tasks have completed, saying why', async () => {
    const run = runOf([BELL]);
    const handle = await backend.submit(run, SV1, NO_TOKEN, `late-${run.jobId}`);
    fake.advance(handle.providerIds[0], 'COMPLETED');
    expect(await backend.cancel(handle, NO_TOKEN)).toEqual({
      canceled: false,
      reason: "the job's Braket tasks have already ended (COMPLETED)",
    });
    expect(fake.tasks.get(handle.providerIds[0])!.status).toBe('COMPLETED');
  });
});

describe('idempotent submission', () => {
  it('a submission tried again with the same key gets the same tasks (clientToken), and findSubmitted has nothing to add', async () => {
    const run = runOf([BELL, ASYMMETRIC]);
    const first = await backend.submit(run, SV1, NO_TOKEN, 'crash-key');
    const count = fake.tasks.size;
    const again = await backend.submit(run, SV1, NO_TOKEN, 'crash-key');
    expect(again.providerIds).toEqual(first.providerIds);
    expect(fake.tasks.size).toBe(count);
    expect(await backend.findSubmitted('crash-key', SV1, NO_TOKEN)).toBeNull();
  });

  it('a submission that failed half-way creates only the missing task when tried again', async () => {
    const run = runOf([BELL, ASYMMETRIC]);
    const before = fake.tasks.size;
    // The first create goes through, the second is answered 500.
    fake.failNext(500, { skip: 1 });
    expect(await rejection(backend.submit(run, SV1, NO_TOKEN, 'half-key'))).toBeInstanceOf(RemoteUnavailable);
    expect(fake.tasks.size).toBe(before + 1);
    const first = [...fake.tasks.keys()].at(-1);
    const done = await backend.submit(run, SV1, NO_TOKEN, 'half-key');
    expect(done.providerIds).toHaveLength(2);
    expect(done.providerIds[0]).toBe(first);
    expect(fake.tasks.size).toBe(before + 2);
  });

  it('keeps clientTokens within 64 characters, the same for the same key', () => {
    const long = 'k'.repeat(100);
    expect(clientToken(long, 3)).toHaveLength(50);
    expect(clientToken(long, 3)).toBe(clientToken(long, 3));
    expect(clientToken(long, 3)).not.toBe(clientToken(long, 4));
    expect(clientToken('short', 0)).toBe('short-0');
  });
});

describe('errors', () => {
  it('credentials AWS does not know are CredentialsRefused (UnrecognizedClientException)', async () => {
    fake.expectedAccessKeyId = 'AKIDSOMEONEELSE';
    const err = await rejection(backend.listDevices(NO_TOKEN));
    expect(err).toBeInstanceOf(CredentialsRefused);
    expect(err.message).toBe(
      'the credentials were refused by AWS (UnrecognizedClientException: The security token included in the request is invalid.)',
    );
    expect((err as CredentialsRefused).provider).toBe('AWS');
    expect((err as CredentialsRefused).status).toBe(403);
  });

  it('AccessDeniedException is CredentialsRefused', async () => {
    fake.failNext(403, {
      errorType: 'AccessDeniedException',
      message: 'User is not authorized to perform: braket:CreateQuantumTask',
    });
    const err = await rejection(backend.submit(runOf([BELL]), SV1, NO_TOKEN, 'denied'));
    expect(err).toBeInstanceOf(CredentialsRefused);
    expect(err.message).toMatch(/AccessDeniedException: User is not authorized/);
  });

  it('ThrottlingException (429) with Retry-After is RemoteUnavailable with retryAfterMs', async () => {
    fake.failNext(429, { message: 'Rate exceeded', headers: { 'retry-after': '7' } });
    const err = await rejection(backend.poll({ providerIds: ['arn:aws:braket:us-east-1:1:quantum-task/x'] }, NO_TOKEN));
    expect(err).toBeInstanceOf(RemoteUnavailable);
    expect((err as RemoteUnavailable).retryAfterMs).toBe(7000);
    expect(err.message).toMatch(/ThrottlingException: Rate exceeded/);
    // One request only: the SDK does not retry by itself.
    expect(fake.requests.at(-1)!.path).toBe('/quantum-task/arn:aws:braket:us-east-1:1:quantum-task/x');
  });

  it('5xx and ServiceQuotaExceededException are RemoteUnavailable, without retries inside the SDK', async () => {
    for (const [status, type] of [
      [500, 'InternalServiceException'],
      [503, 'ServiceUnavailable'],
      [402, 'ServiceQuotaExceededException'],
    ] as const) {
      const before = fake.requests.length;
      fake.failNext(status, { errorType: type, message: `fake ${type}` });
      const err = await rejection(backend.deviceStatus(SV1, NO_TOKEN));
      expect(err).toBeInstanceOf(RemoteUnavailable);
      expect((err as RemoteUnavailable).retryAfterMs).toBeNull();
      expect(err.message).toContain(type);
      expect(fake.requests.length).toBe(before + 1);
    }
  });

  it('a network failure is RemoteUnavailable (connection refused, connection dropped)', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = new BraketBackend(config(fake, { braketEndpoint: `http://127.0.0.1:${port}` }), deps);
    const err = await rejection(down.listDevices(NO_TOKEN));
    expect(err).toBeInstanceOf(RemoteUnavailable);
    expect(err.message).toMatch(/Amazon Braket could not be reached/);

    fake.failNext(0, { destroy: true });
    expect(await rejection(backend.deviceStatus(SV1, NO_TOKEN))).toBeInstanceOf(RemoteUnavailable);
  });

  it('a provider that does not answer within the request time limit is RemoteUnavailable', async () => {
    const impatient = new BraketBackend(config(fake), { ...deps, requestTimeoutMs: 300 });
    fake.failNext(0, { hang: true });
    const err = await rejection(impatient.deviceStatus(SV1, NO_TOKEN));
    expect(err).toBeInstanceOf(RemoteUnavailable);
    expect(err.message).toMatch(/^Amazon Braket did not answer in time/);
  });

  it('S3 unavailable is RemoteUnavailable; results missing from S3 fail the job with S3 saying so', async () => {
    const run = runOf([BELL]);
    const handle = await backend.submit(run, SV1, NO_TOKEN, `s3-${run.jobId}`);
    fake.advance(handle.providerIds[0], 'COMPLETED');
    fake.failNext(503, { service: 's3', errorType: 'SlowDown', message: 'Please reduce your request rate.' });
    const slow = await rejection(backend.fetchResults(handle, run, NO_TOKEN));
    expect(slow).toBeInstanceOf(RemoteUnavailable);
    expect(slow.message).toMatch(/Amazon S3 .*SlowDown/);
    for (const k of [...fake.objects.keys()])
      if (k.includes(fake.tasks.get(handle.providerIds[0])!.id)) fake.objects.delete(k);
    const missing = await rejection(backend.fetchResults(handle, run, NO_TOKEN));
    expect(missing).not.toBeInstanceOf(RemoteUnavailable);
    expect(missing.message).toMatch(/Amazon S3 refused the request \(NoSuchKey: The specified key does not exist\.\)/);
  });

  it('without credentials anywhere, a call is CredentialsMissing naming AWS_ACCESS_KEY_ID', async () => {
    const key = process.env.AWS_ACCESS_KEY_ID;
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const before = fake.requests.length;
      const err = await rejection(new BraketBackend(config(fake), deps).listDevices(NO_TOKEN));
      expect(err).toBeInstanceOf(CredentialsMissing);
      expect((err as CredentialsMissing).field).toBe('AWS_ACCESS_KEY_ID');
      expect(err.message).toMatch(/AWS_ACCESS_KEY_ID .*AWS_PROFILE/);
      expect(fake.requests.length).toBe(before);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = key;
      process.env.AWS_SECRET_ACCESS_KEY = secret;
    }
  });
});

describe('devices', () => {
  it('lists the gate-model devices over every page of SearchDevices, with their qubits from GetDevice', async () => {
    const devices = await backend.listDevices(NO_TOKEN);
    expect(devices).toEqual([
      {
        name: 'SV1',
        providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/sv1',
        numQubits: 34,
        isSimulator: true,
        online: true,
      },
      {
        name: 'DM1',
        providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/dm1',
        numQubits: 17,
        isSimulator: true,
        online: true,
      },
      {
        name: 'TN1',
        providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/tn1',
        numQubits: 50,
        isSimulator: true,
        online: true,
      },
      {
        name: 'Ankaa-3',
        providerDeviceId: 'arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3',
        numQubits: 84,
        isSimulator: false,
        online: true,
      },
      {
        name: 'Forte 1',
        providerDeviceId: 'arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1',
        numQubits: 36,
        isSimulator: false,
        online: false,
      },
    ]);
    // Seven devices at two a page: four pages.
    const searches = fake.requests.filter((r) => r.path === '/devices');
    expect(searches.slice(-4).map((r) => (r.body as { nextToken?: string }).nextToken ?? null)).toEqual([
      null,
      '2',
      '4',
      '6',
    ]);
  });

  it("tells a device's status and queue from GetDevice", async () => {
    const ankaa = {
      name: 'Ankaa-3',
      providerDeviceId: 'arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3',
      numQubits: 84,
    };
    const status = await backend.deviceStatus(ankaa, NO_TOKEN);
    expect(status).toMatchObject({ online: true, queueLength: 12, message: null });
    expect(status.raw).toMatchObject({ deviceName: 'Ankaa-3', providerName: 'Rigetti', deviceStatus: 'ONLINE' });
    const forte = {
      name: 'Forte 1',
      providerDeviceId: 'arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1',
      numQubits: 36,
    };
    expect(await backend.deviceStatus(forte, NO_TOKEN)).toMatchObject({
      online: false,
      queueLength: null,
      message: 'OFFLINE',
    });
  });

  it("answers a device's capabilities, calibration included, as Braket gives them", async () => {
    const ankaa = {
      name: 'Ankaa-3',
      providerDeviceId: 'arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3',
      numQubits: 84,
    };
    const calibration = await backend.calibration(ankaa, NO_TOKEN);
    expect(calibration).toMatchObject({
      paradigm: { qubitCount: 84, nativeGateSet: ['rx', 'rz', 'iswap', 'cz'] },
      standardized: { oneQubitProperties: { '0': { T1: { value: 2.1e-5 } } } },
    });
  });

  it("an unknown device is a permanent error with Braket's words", async () => {
    const err = await rejection(
      backend.deviceStatus(
        { name: 'gone', providerDeviceId: 'arn:aws:braket:::device/qpu/none/gone', numQubits: 1 },
        NO_TOKEN,
      ),
    );
    expect(err).not.toBeInstanceOf(RemoteUnavailable);
    expect(err.message).toBe(
      'Amazon Braket refused the request (ResourceNotFoundException: Device arn:aws:braket:::device/qpu/none/gone not found)',
    );
  });
});
