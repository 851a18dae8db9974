/**
 * Contract of the IBM Quantum adapter (Qiskit Runtime REST API, IBM-API-Version 2026-04-15) against
 * the fake of IAM and the Runtime API (test/fakes/ibm-quantum.fake.ts), which samples what it is
 * sent with our engine: outcomes here are real functions of the circuits.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { IbmQuantumBackend } from '../src/execution/backends/ibm/ibm-quantum.backend';
import { IBM_API_VERSION } from '../src/execution/backends/ibm/openapi/qiskit-runtime';
import {
  ProgramFailure,
  type BackendRun,
  type RemoteDevice,
  type RemoteHandle,
} from '../src/execution/backends/quantum-backend';
import {
  CredentialsMissing,
  CredentialsRefused,
  RemoteUnavailable,
} from '../src/execution/backends/remote/remote-errors';
import { parseProgram, simulate } from '../src/quantum';
import {
  FAKE_IBM_API_KEY,
  FAKE_IBM_INSTANCE,
  startFakeIbmQuantum,
  type FakeIbmQuantum,
} from './fakes/ibm-quantum.fake';
import { ASYMMETRIC, BELL, ENGINE_DEPS as deps } from './helpers/remote';

const BELL_NO_MEASURE = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
h q[0];
cx q[0], q[1];
`;

const MID_CIRCUIT = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
measure q[0] -> c[0];
reset q[0];
cx q[0], q[1];
measure q[1] -> c[1];
`;

const SECOND_INSTANCE =
  'crn:v1:bluemix:public:quantum-computing:us-east:a/fedcba9876543210:99999999-8888-7777-6666-555555555555::';

const device: RemoteDevice = { name: 'ibm_fake_brisbane', providerDeviceId: 'ibm_fake_brisbane', numQubits: 127 };
const serverCreds = { token: null };

function makeRun(
  sources: string[],
  settings: Partial<BackendRun['settings']> = {},
  numQubits = device.numQubits,
): BackendRun {
  return {
    jobId: 'job-1',
    attempts: 1,
    device: {
      id: 'dev-1',
      providerName: 'IBM',
      name: device.name,
      numQubits,
      acceptedLanguages: ['QASM2', 'QASM3'],
      isLocal: false,
      providerDeviceId: device.providerDeviceId,
    },
    programs: sources.map((source, position) => ({ id: `p${position}`, position, language: 'QASM2', source })),
    settings: { shots: 1000, seed: null, type: 'RUNNER', observables: null, errorMitigation: 'none', ...settings },
  };
}

function counts(results: { resultType: string; data: Record<string, unknown> }[], type: string) {
  const r = results.find((x) => x.resultType === type);
  if (!r) throw new Error(`no ${type} result`);
  return r.data as Record<string, number>;
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('IBM Quantum adapter (Qiskit Runtime REST API) against the fake', () => {
  let ibm: FakeIbmQuantum;
  let backend: IbmQuantumBackend;

  beforeEach(async () => {
    ibm = await startFakeIbmQuantum({ instances: [FAKE_IBM_INSTANCE, SECOND_INSTANCE] });
    backend = new IbmQuantumBackend(
      { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: ibm.url },
      deps,
    );
  });

  afterEach(async () => {
    await ibm.close();
  });

  async function untilDone(handle: RemoteHandle, creds = serverCreds) {
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const s = await backend.poll(handle, creds);
      seen.push(s.state);
      if (s.state !== 'queued' && s.state !== 'running') return { last: s, seen };
    }
    throw new Error(`the job did not end: ${seen.join(', ')}`);
  }

  it('describes IBM: a token may be given, the languages it is written in, devices from sync only', () => {
    const d = backend.describe();
    expect(d).toEqual({ name: 'IBM', withToken: true, languages: ['QASM2', 'QASM3', 'QISKIT'], devices: [] });
    expect(backend.kind).toBe('remote');
  });

  it('runs a Bell circuit: one Sampler V2 job, queued -> running -> done, only 00 and 11, with IBM metadata', async () => {
    const run = makeRun([BELL]);
    const handle = await backend.submit(run, device, serverCreds, 'key-bell');
    expect(handle.providerIds).toHaveLength(1);

    const create = ibm.apiRequests().find((r) => r.method === 'POST' && r.path === '/v1/jobs')!;
    expect(create.headers.authorization).toMatch(/^Bearer fake-iam-token-/);
    expect(create.headers['service-crn']).toBe(FAKE_IBM_INSTANCE);
    expect(create.headers['ibm-api-version']).toBe(IBM_API_VERSION);
    const body = create.body as {
      program_id: string;
      backend: string;
      params: { pubs: unknown[][]; version: number };
      tags: string[];
    };
    expect(body.program_id).toBe('sampler');
    expect(body.backend).toBe('ibm_fake_brisbane');
    expect(body.params.version).toBe(2);
    expect(body.params.pubs).toHaveLength(1);
    expect(body.params.pubs[0][0]).toMatch(/^OPENQASM 3\.0;/);
    expect(body.params.pubs[0].slice(1)).toEqual([null, 1000]);
    expect(body.tags).toContain('qunest:key-bell');

    expect(await backend.poll(handle, serverCreds)).toEqual({ state: 'queued', queuePosition: 4 });
    expect(await backend.poll(handle, serverCreds)).toEqual({ state: 'running' });
    expect(await backend.poll(handle, serverCreds)).toEqual({ state: 'done' });

    const [program] = await backend.fetchResults(handle, run, serverCreds);
    expect(program.programId).toBe('p0');
    const c = counts(program.results, 'COUNTS');
    expect(Object.keys(c).sort()).toEqual(['0x0', '0x3']);
    expect(c['0x0'] + c['0x3']).toBe(1000);
    expect(c['0x0']).toBeGreaterThan(350);
    expect(c['0x3']).toBeGreaterThan(350);
    const p = counts(program.results, 'PROBABILITIES');
    expect(p['0x0'] + p['0x3']).toBeCloseTo(1, 12);
    const meta = program.results[0].meta;
    expect(meta).toMatchObject({
      format: 'hex',
      shots: 1000,
      registers: [{ name: 'c', size: 2 }],
      provider: 'IBM',
      providerJobId: handle.providerIds[0],
      backend: 'ibm_fake_brisbane',
      usage: { seconds: 2, quantumSeconds: 2 },
    });
    expect(meta.executionSpans).toBeDefined();
    expect(typeof meta.timeTakenMs).toBe('number');
    // One IAM exchange served every call.
    expect(ibm.tokensIssued()).toBe(1);
  });

  it('reads the registers back in the right bit order (X on qubit 0 of 3, two registers), as local results key them', async () => {
    const run = makeRun([ASYMMETRIC]);
    const handle = await backend.submit(run, device, serverCreds, 'key-order');
    await untilDone(handle);
    const [program] = await backend.fetchResults(handle, run, serverCreds);
    // b = (b[1], b[0]) = (1, 0) = 0x2; a = 0x0; the last-declared register first.
    expect(counts(program.results, 'COUNTS')).toEqual({ '0x2 0x0': 1000 });
    const local = simulate({ circuit: parseProgram('QASM2', ASYMMETRIC), shots: 1000, type: 'RUNNER', maxQubits: 3 });
    expect(counts(program.results, 'COUNTS')).toEqual(local.find((r) => r.resultType === 'COUNTS')!.data);
    const job = ibm.jobs.get(handle.providerIds[0])!;
    const pub = (job.results as { results: { data: Record<string, { samples: string[]; num_bits: number }> }[] })
      .results[0];
    expect(pub.data.b.num_bits).toBe(2);
    expect(new Set(pub.data.b.samples)).toEqual(new Set(['0x2']));
    expect(new Set(pub.data.a.samples)).toEqual(new Set(['0x0']));
  });

  it('runs several programs as the PUBs of one IBM job, each answered for its own program', async () => {
    const run = makeRun([BELL, ASYMMETRIC]);
    const handle = await backend.submit(run, device, serverCreds, 'key-two');
    expect(ibm.jobs.size).toBe(1);
    await untilDone(handle);
    const results = await backend.fetchResults(handle, run, serverCreds);
    expect(results.map((r) => r.programId)).toEqual(['p0', 'p1']);
    expect(Object.keys(counts(results[0].results, 'COUNTS')).sort()).toEqual(['0x0', '0x3']);
    expect(counts(results[1].results, 'COUNTS')).toEqual({ '0x2 0x0': 1000 });
  });

  it('gives SAMPLER jobs a QUASI_DIST over all clbits', async () => {
    const run = makeRun([BELL], { type: 'SAMPLER', shots: 2000 });
    const handle = await backend.submit(run, device, serverCreds, 'key-sampler');
    await untilDone(handle);
    const [program] = await backend.fetchResults(handle, run, serverCreds);
    expect(program.results).toHaveLength(1);
    expect(program.results[0].resultType).toBe('QUASI_DIST');
    const q = program.results[0].data as Record<string, number>;
    expect(Object.keys(q).sort()).toEqual(['0x0', '0x3']);
    expect(q['0x0'] + q['0x3']).toBeCloseTo(1, 12);
    expect(q['0x0']).toBeGreaterThan(0.4);
    expect(program.results[0].meta).toMatchObject({ shots: 2000, numClbits: 2, provider: 'IBM' });
  });

  it('runs ESTIMATOR jobs on Estimator V2: one {pauli: coefficient} per observable, values and single-shot variances as local', async () => {
    const observables = [{ pauli: 'ZZ' }, { pauli: 'XX', coefficient: 0.5 }, { pauli: 'IZ', coefficient: 2 }];
    const run = makeRun([BELL], { type: 'ESTIMATOR', shots: 4096, observables });
    const handle = await backend.submit(run, device, serverCreds, 'key-estimator');
    const body = ibm.apiRequests().find((r) => r.method === 'POST' && r.path === '/v1/jobs')!.body as {
      program_id: string;
      params: { pubs: unknown[][] };
    };
    expect(body.program_id).toBe('estimator');
    expect(body.params.pubs[0].slice(1)).toEqual([[{ ZZ: 1 }, { XX: 0.5 }, { IZ: 2 }], null, 1 / 64]);
    await untilDone(handle);
    const [program] = await backend.fetchResults(handle, run, serverCreds);
    const local = simulate({
      circuit: parseProgram('QASM2', BELL),
      shots: 4096,
      type: 'ESTIMATOR',
      observables,
      maxQubits: 2,
    });
    expect(program.results).toHaveLength(3);
    program.results.forEach((r, k) => {
      expect(r.resultType).toBe('VALUE_AND_VARIANCE');
      const want = local[k].data as { value: number; variance: number };
      const got = r.data as { value: number; variance: number };
      expect(got.value).toBeCloseTo(want.value, 9);
      expect(got.variance).toBeCloseTo(want.variance, 9);
      expect(r.meta).toMatchObject({
        observable: observables[k].pauli,
        coefficient: observables[k].coefficient ?? 1,
        exact: false,
        shots: 4096,
        targetPrecision: 1 / 64,
        provider: 'IBM',
      });
    });
    expect((program.results[0].data as { value: number }).value).toBeCloseTo(1, 9);
    expect((program.results[2].data as { variance: number }).variance).toBeCloseTo(4, 9);
  });

  it('refuses what IBM cannot run, naming the program: mid-circuit measurement for ESTIMATOR, no measurement for the Sampler, observables of the wrong width, too many qubits', async () => {
    const estimate = (source: string, pauli: string) =>
      backend.submit(makeRun([source], { type: 'ESTIMATOR', observables: [{ pauli }] }), device, serverCreds, 'k1');
    await expect(estimate(MID_CIRCUIT, 'ZZ')).rejects.toThrow(/program 0 measures mid-circuit.*IBM's Estimator/);
    await expect(estimate(BELL, 'ZZZ')).rejects.toThrow(/observable ZZZ has 3 Paulis, but program 0 has 2 qubits/);
    const noMeasure = backend.submit(makeRun([BELL_NO_MEASURE]), device, serverCreds, 'k2');
    await expect(noMeasure).rejects.toBeInstanceOf(ProgramFailure);
    await expect(noMeasure).rejects.toThrow(/program 0 measures nothing/);
    const small: RemoteDevice = { name: 'ibm_fake_small', providerDeviceId: 'ibm_fake_small', numQubits: 2 };
    await expect(backend.submit(makeRun([ASYMMETRIC], {}, 2), small, serverCreds, 'k3')).rejects.toThrow(
      /program 0 uses 3 qubits, more than the 2 of IBM backend ibm_fake_small/,
    );
    const broken = backend.submit(makeRun(['OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n']), device, serverCreds, 'k4');
    await expect(broken).rejects.toThrow(/program 0 does not parse/);
    expect(ibm.jobs.size).toBe(0);
  });

  it("reports a failed job with IBM's own reason, and a job stopped for running too long as failed", async () => {
    ibm.setAutoAdvance(false);
    const handle = await backend.submit(makeRun([BELL]), device, serverCreds, 'key-fail');
    ibm.advance(handle.providerIds[0], 'Failed', 'Error code 1517; Instruction h is not supported by the target');
    expect(await backend.poll(handle, serverCreds)).toEqual({
      state: 'failed',
      message: 'Error code 1517; Instruction h is not supported by the target',
      data: { ibmStatus: 'Failed' },
    });
    const long = await backend.submit(makeRun([BELL]), device, serverCreds, 'key-long');
    ibm.advance(long.providerIds[0], 'Cancelled', 'Ran too long', 1305);
    expect(await backend.poll(long, serverCreds)).toMatchObject({ state: 'failed', message: 'Ran too long' });
  });

  it('cancels a queued job, and tells the reason IBM gives when the job has already ended', async () => {
    ibm.setAutoAdvance(false);
    const handle = await backend.submit(makeRun([BELL]), device, serverCreds, 'key-cancel');
    expect(await backend.cancel(handle, serverCreds)).toEqual({ canceled: true });
    expect(ibm.jobs.get(handle.providerIds[0])!.status).toBe('Cancelled');
    expect(await backend.poll(handle, serverCreds)).toEqual({ state: 'canceled' });

    const done = await backend.submit(makeRun([BELL]), device, serverCreds, 'key-done');
    ibm.advance(done.providerIds[0], 'Completed');
    const outcome = await backend.cancel(done, serverCreds);
    expect(outcome).toEqual({ canceled: false, reason: 'The job cannot be cancelled because it is Completed' });
  });

  it('finds a job submitted earlier under the same key (by its IBM tag), and reads its results without the stored layouts', async () => {
    expect(await backend.findSubmitted('key-idem', device, serverCreds)).toBeNull();
    const run = makeRun([ASYMMETRIC]);
    const first = await backend.submit(run, device, serverCreds, 'key-idem');
    await backend.submit(makeRun([BELL]), device, serverCreds, 'key-other');
    // A worker that died before storing the id: the next one finds the job instead of submitting again.
    const found = await backend.findSubmitted('key-idem', device, serverCreds);
    expect(found?.providerIds).toEqual(first.providerIds);
    const list = ibm
      .apiRequests()
      .filter((r) => r.method === 'GET' && r.path === '/v1/jobs')
      .at(-1)!;
    expect(list.query.getAll('tags')).toEqual(['qunest:key-idem']);
    await untilDone(found!);
    const [program] = await backend.fetchResults(found!, run, serverCreds);
    expect(counts(program.results, 'COUNTS')).toEqual({ '0x2 0x0': 1000 });
    expect(ibm.jobs.size).toBe(2);
  });

  it('refused credentials: a bad API key (IAM 400 or 401) and a bearer the API keeps refusing are CredentialsRefused', async () => {
    const wrong = { token: 'not-a-key' };
    const err = await backend.poll({ providerIds: ['x'] }, wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsRefused);
    expect((err as Error).message).toMatch(
      /^the token was refused by IBM \(IAM 400: BXNIM0415E: Provided API key could not be found\.\)$/,
    );

    const strictIam = await startFakeIbmQuantum({ iamBadKeyStatus: 401 });
    try {
      const b = new IbmQuantumBackend(
        { instance: FAKE_IBM_INSTANCE, apiUrl: strictIam.url, iamUrl: strictIam.url },
        deps,
      );
      await expect(b.listDevices(wrong)).rejects.toThrow(/the token was refused by IBM \(IAM 401/);
    } finally {
      await strictIam.close();
    }

    ibm.failNext(401, { times: 2 });
    const refused = await backend.listDevices(serverCreds).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CredentialsRefused);
    expect((refused as CredentialsRefused).status).toBe(401);
    expect((refused as Error).message).toMatch(/^the token was refused by IBM \(401: fake failure 401\)$/);
  });

  it('exchanges the key again when the API refuses a cached bearer once (revoked or expired early)', async () => {
    await backend.listDevices(serverCreds);
    expect(ibm.tokensIssued()).toBe(1);
    ibm.revokeTokens();
    const devices = await backend.listDevices(serverCreds);
    expect(devices).toHaveLength(3);
    expect(ibm.tokensIssued()).toBe(2);
  });

  it('keeps the bearer of a key until 80 % of its life has passed, then exchanges the key again', async () => {
    let now = Date.now();
    const clocked = new IbmQuantumBackend(
      { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: ibm.url },
      deps,
      { now: () => now },
    );
    await Promise.all([clocked.listDevices(serverCreds), clocked.listDevices(serverCreds)]);
    expect(ibm.tokensIssued()).toBe(1);
    now += 2800 * 1000;
    await clocked.listDevices(serverCreds);
    expect(ibm.tokensIssued()).toBe(1);
    now += 100 * 1000;
    await clocked.listDevices(serverCreds);
    expect(ibm.tokensIssued()).toBe(2);
    // Another key has its own bearer.
    ibm.apiKeys.add('second-key');
    await clocked.listDevices({ token: 'second-key' });
    expect(ibm.tokensIssued()).toBe(3);
    const bearers = new Set(ibm.apiRequests().map((r) => r.headers.authorization));
    expect(bearers.size).toBe(3);
  });

  it('a job may bring its own API key and instance as JSON; an instance the key cannot use is refused', async () => {
    const own = { token: JSON.stringify({ apiKey: FAKE_IBM_API_KEY, instance: SECOND_INSTANCE }) };
    const handle = await backend.submit(makeRun([BELL]), device, own, 'key-own');
    const create = ibm.apiRequests().find((r) => r.method === 'POST' && r.path === '/v1/jobs')!;
    expect(create.headers['service-crn']).toBe(SECOND_INSTANCE);
    expect((await backend.poll(handle, own)).state).toBe('queued');

    const plain = { token: FAKE_IBM_API_KEY };
    await backend.poll(handle, plain);
    expect(ibm.apiRequests().at(-1)!.headers['service-crn']).toBe(FAKE_IBM_INSTANCE);

    const elsewhere = { token: JSON.stringify({ apiKey: FAKE_IBM_API_KEY, instance: 'crn:v1:unknown' }) };
    await expect(backend.listDevices(elsewhere)).rejects.toThrow(
      /^the token was refused by IBM \(403: You are not authorized to use the instance crn:v1:unknown\)$/,
    );
    await expect(backend.listDevices({ token: '{"instance": "crn:v1:x"}' })).rejects.toBeInstanceOf(CredentialsRefused);
  });

  it('429 with Retry-After and 5xx are RemoteUnavailable (with the wait IBM asked for), and the next call goes through', async () => {
    const handle = await backend.submit(makeRun([BELL]), device, serverCreds, 'key-429');
    ibm.failNext(429, { headers: { 'Retry-After': '7' } });
    const limited = await backend.poll(handle, serverCreds).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RemoteUnavailable);
    expect((limited as RemoteUnavailable).retryAfterMs).toBe(7000);
    expect((limited as Error).message).toBe('IBM answered 429: fake failure 429');

    ibm.failNext(503, { body: { errors: [{ code: 'unavailable', message: 'Service temporarily unavailable' }] } });
    const down = await backend.poll(handle, serverCreds).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(RemoteUnavailable);
    expect((down as RemoteUnavailable).retryAfterMs).toBeNull();
    expect((down as Error).message).toBe('IBM answered 503: Service temporarily unavailable');

    ibm.failNext(429, { on: 'iam', headers: { 'Retry-After': '3' } });
    const fresh = new IbmQuantumBackend(
      { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: ibm.url },
      deps,
    );
    const iamLimited = await fresh.poll(handle, serverCreds).catch((e: unknown) => e);
    expect(iamLimited).toBeInstanceOf(RemoteUnavailable);
    expect((iamLimited as RemoteUnavailable).retryAfterMs).toBe(3000);

    expect((await backend.poll(handle, serverCreds)).state).toBe('queued');
  });

  it('a provider that cannot be reached is RemoteUnavailable (IAM or the API)', async () => {
    const port = await closedPort();
    const nowhere = `http://127.0.0.1:${port}`;
    const noApi = new IbmQuantumBackend(
      { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: nowhere, iamUrl: ibm.url },
      deps,
    );
    const e1 = await noApi.listDevices(serverCreds).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(RemoteUnavailable);
    expect((e1 as Error).message).toMatch(/^IBM could not be reached \(ECONNREFUSED\)$/);
    const noIam = new IbmQuantumBackend(
      { token: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE, apiUrl: ibm.url, iamUrl: nowhere },
      deps,
    );
    const e2 = await noIam.listDevices(serverCreds).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(RemoteUnavailable);
    expect((e2 as Error).message).toMatch(/^IBM Cloud IAM could not be reached/);
  });

  it("lists the instance's backends, their live status and calibration data", async () => {
    const devices = await backend.listDevices(serverCreds);
    expect(devices).toEqual([
      {
        name: 'ibm_fake_brisbane',
        providerDeviceId: 'ibm_fake_brisbane',
        numQubits: 127,
        isSimulator: false,
        online: true,
      },
      { name: 'ibm_fake_kyiv', providerDeviceId: 'ibm_fake_kyiv', numQubits: 127, isSimulator: false, online: false },
      { name: 'ibm_fake_small', providerDeviceId: 'ibm_fake_small', numQubits: 5, isSimulator: false, online: true },
    ]);
    const status = await backend.deviceStatus(device, serverCreds);
    expect(status).toMatchObject({ online: true, queueLength: 3, message: 'active' });
    expect(status.raw).toMatchObject({ state: true, length_queue: 3 });
    const kyiv = { name: 'ibm_fake_kyiv', providerDeviceId: 'ibm_fake_kyiv', numQubits: 127 };
    expect(await backend.deviceStatus(kyiv, serverCreds)).toMatchObject({
      online: false,
      queueLength: 0,
      message: 'calibrating',
    });
    const calibration = await backend.calibration(device, serverCreds);
    expect(calibration.backend_name).toBe('ibm_fake_brisbane');
    expect(calibration.qubits).toHaveLength(127);
    const missing = { name: 'nope', providerDeviceId: 'ibm_nope', numQubits: 5 };
    await expect(backend.deviceStatus(missing, serverCreds)).rejects.toThrow(
      'IBM answered 404: Backend ibm_nope not found',
    );
  });

  it('admission and calls without credentials name the missing token or setting', async () => {
    const none = new IbmQuantumBackend({ apiUrl: ibm.url, iamUrl: ibm.url }, deps);
    const job = { hasToken: false, type: 'RUNNER', shots: 100 };
    expect(none.admissionProblem(job)).toEqual({
      field: 'token',
      message: expect.stringContaining('IBM_QUANTUM_TOKEN'),
    });
    expect(none.admissionProblem({ ...job, hasToken: true })).toBeNull();
    const err = await none.poll({ providerIds: ['x'] }, serverCreds).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsMissing);
    expect((err as CredentialsMissing).field).toBe('token');
    expect((err as Error).message).toMatch(/IBM_QUANTUM_TOKEN/);

    const noInstance = new IbmQuantumBackend({ token: FAKE_IBM_API_KEY, apiUrl: ibm.url, iamUrl: ibm.url }, deps);
    expect(noInstance.admissionProblem(job)).toEqual({
      field: 'token',
      message: expect.stringContaining('IBM_QUANTUM_INSTANCE'),
    });
    const e2 = await noInstance.listDevices(serverCreds).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(CredentialsMissing);
    expect((e2 as CredentialsMissing).field).toBe('IBM_QUANTUM_INSTANCE');
    const e3 = await noInstance.listDevices({ token: 'some-key' }).catch((e: unknown) => e);
    expect((e3 as CredentialsMissing).field).toBe('token');
    expect((e3 as Error).message).toMatch(/IBM_QUANTUM_INSTANCE/);
    // A job token naming its own instance needs no server instance.
    const own = { token: JSON.stringify({ apiKey: FAKE_IBM_API_KEY, instance: FAKE_IBM_INSTANCE }) };
    expect(await noInstance.listDevices(own)).toHaveLength(3);

    expect(backend.admissionProblem(job)).toBeNull();
    expect(backend.admissionProblem({ ...job, type: 'ESTIMATOR' })).toBeNull();
    expect(ibm.requests.filter((r) => r.path === '/v1/jobs')).toHaveLength(0);
  });
});
