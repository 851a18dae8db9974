/**
 * The QMware adapter (src/execution/backends/qmware) against a fake of QMware's dispatcher as
 * qunicorn-core's QMware pilot speaks to it (test/fakes/qmware.fake.ts), whose results our engine
 * computes from the OpenQASM 2 it was sent: submit, status, results on dev, dev-gpu and dev-batch
 * (bit order on an asymmetric circuit against our local simulator; the batch's results matched by
 * index), SAMPLER, ESTIMATOR refused, failures, cancel, credentials, 429, 5xx, network errors and
 * the devices.
 */
import { createServer } from 'node:net';
import { parseProgram, simulate } from '../src/quantum';
import { QmwareBackend } from '../src/execution/backends/qmware/qmware.backend';
import type { BackendRun, RemoteDevice } from '../src/execution/backends/quantum-backend';
import {
  CredentialsMissing,
  CredentialsRefused,
  RemoteUnavailable,
} from '../src/execution/backends/remote/remote-errors';
import { startFakeQmware, type FakeQmware } from './fakes/qmware.fake';
import { ASYMMETRIC, BELL, ENGINE_DEPS as deps, runToEnd } from './helpers/remote';

/** Three registers, a superposition on two of them: every register's value varies. */
const THREE_REGISTERS = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg a[1];
creg b[2];
creg c[1];
h q[0];
x q[1];
cx q[0], q[3];
h q[2];
measure q[0] -> c[0];
measure q[1] -> b[0];
measure q[2] -> a[0];
measure q[3] -> b[1];
`;

const X_ON_1 = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
x q[1];
c = measure q;
`;

const device = (name: string): RemoteDevice => ({ name, providerDeviceId: name, numQubits: -1 });
const DEV = device('dev');
const GPU = device('dev-gpu');
const BATCH = device('dev-batch');

let jobCounter = 0;
function runOf(
  programs: { language: string; source: string }[],
  settings: Partial<BackendRun['settings']> = {},
  on: RemoteDevice = DEV,
): BackendRun {
  jobCounter++;
  return {
    jobId: `job-${jobCounter}`,
    attempts: 1,
    device: {
      id: `device-${on.name}`,
      providerName: 'QMWARE',
      name: on.name,
      numQubits: -1,
      acceptedLanguages: ['QASM2', 'QASM3'],
      isLocal: false,
      providerDeviceId: on.providerDeviceId,
    },
    programs: programs.map((p, i) => ({ id: `program-${jobCounter}-${i}`, position: i, ...p })),
    settings: { shots: 1000, seed: null, type: 'RUNNER', observables: null, errorMitigation: 'none', ...settings },
  };
}

/** Our local simulator on the same program with the fake's seed: the very same shots. */
function local(source: string, type: 'RUNNER' | 'SAMPLER' = 'RUNNER', shots = 1000, language = 'QASM2') {
  return simulate({ circuit: parseProgram(language, source), shots, type, seed: 1234, maxQubits: 20 });
}

describe("QMware adapter against a fake of QMware's dispatcher (qunicorn-core's protocol)", () => {
  let qmware: FakeQmware;
  let backend: QmwareBackend;

  beforeEach(async () => {
    qmware = await startFakeQmware({ apiKey: 'server-key', apiKeyId: 'server-id' });
    backend = new QmwareBackend({ url: qmware.url, apiKey: 'server-key', apiKeyId: 'server-id' }, deps);
  });
  afterEach(async () => {
    await qmware.close();
  });

  it('describes provider QMWARE: with token, OpenQASM 2 first, devices dev, dev-gpu and dev-batch', () => {
    const d = backend.describe();
    expect(d.name).toBe('QMWARE');
    expect(d.withToken).toBe(true);
    expect(d.languages[0]).toBe('QASM2');
    expect(d.languages).toEqual(expect.arrayContaining(['QASM3', 'QUIL', 'IONQ']));
    expect(d.devices.map((x) => [x.name, x.providerDeviceId, x.numQubits, x.isSimulator, x.isLocal])).toEqual([
      ['dev', 'dev', -1, true, false],
      ['dev-gpu', 'dev-gpu', -1, true, false],
      ['dev-batch', 'dev-batch', -1, true, false],
    ]);
  });

  it('dev: the request as qunicorn sends it, WAITING -> ... -> SUCCESS, results read per register as local', async () => {
    qmware.setAutoAdvance(false);
    const run = runOf([{ language: 'QASM2', source: THREE_REGISTERS }]);
    const handle = await backend.submit(run, DEV, { token: null }, 'k');
    const post = qmware.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/v0/requests');
    expect(post.headers['x-api-key']).toBe('server-key');
    expect(post.headers['x-api-key-id']).toBe('server-id');
    expect(post.body).toEqual({
      name: `Qunest job ${run.jobId} program 0`,
      maxExecutionTimeInMs: 60_000,
      ttlAfterFinishedInMs: 1_200_000,
      code: { type: 'qasm2', code: THREE_REGISTERS },
      selectionParameters: [],
      programParameters: [{ name: 'shots', value: '1000' }],
    });
    expect(await backend.poll(handle, { token: null })).toEqual({ state: 'queued' });
    qmware.advance(handle.providerIds[0], 'PREPARING');
    expect(await backend.poll(handle, { token: null })).toEqual({ state: 'running' });
    qmware.advance(handle.providerIds[0], 'SUCCESS');
    expect(await backend.poll(handle, { token: null })).toEqual({ state: 'done' });

    const results = await backend.fetchResults(handle, run, { token: null });
    const [counts, probabilities] = results[0].results;
    const [localCounts, localProbabilities] = local(THREE_REGISTERS);
    expect(Object.keys(counts.data)).toHaveLength(4); // q0 = q3 (cx), q1 = 1, q2 free
    expect(counts.data).toEqual(localCounts.data);
    expect(probabilities.data).toEqual(localProbabilities.data);
    expect(counts.meta).toMatchObject({
      format: 'hex',
      shots: 1000,
      registers: [
        { name: 'c', size: 1 },
        { name: 'b', size: 2 },
        { name: 'a', size: 1 },
      ],
      device: 'dev',
      qmwareJobId: handle.providerIds[0],
    });
    // QMware's answer: one entry per register, in declaration order.
    const answer = JSON.parse(qmware.jobs.get(handle.providerIds[0])!.out!);
    expect(answer).toHaveLength(3);
  });

  it('bit order: X on qubit 0 of 3 into two registers gives the same keys on dev, dev-gpu and locally', async () => {
    for (const on of [DEV, GPU]) {
      const run = runOf([{ language: 'QASM2', source: ASYMMETRIC }], {}, on);
      const { handle, results } = await runToEnd(backend, run, on);
      expect(results[0].results[0].data).toEqual({ '0x2 0x0': 1000 });
      expect(results[0].results[0].data).toEqual(local(ASYMMETRIC)[0].data);
      const out = JSON.parse(qmware.jobs.get(handle.providerIds[0])!.out!);
      if (on === GPU) {
        // all clbits in one number: clbit 2 (b[1]) set.
        expect(out).toEqual([{ result: [{ number: 4, hits: 1000, probability: 1 }] }]);
        expect(qmware.jobs.get(handle.providerIds[0])!.codeType).toBe('qasm2-gpu');
      } else {
        expect(out).toEqual([
          { result: [{ number: 0, hits: 1000, probability: 1 }] },
          { result: [{ number: 2, hits: 1000, probability: 1 }] },
        ]);
      }
    }
  });

  it('dev-gpu: a varied distribution split back into its registers as local', async () => {
    const run = runOf([{ language: 'QASM2', source: THREE_REGISTERS }], {}, GPU);
    const { results } = await runToEnd(backend, run, GPU);
    expect(results[0].results[0].data).toEqual(local(THREE_REGISTERS)[0].data);
  });

  it('dev-batch: every program in one request, each result matched back by its index', async () => {
    const run = runOf(
      [
        { language: 'QASM2', source: BELL },
        { language: 'QASM3', source: X_ON_1 },
        { language: 'QASM2', source: ASYMMETRIC },
      ],
      {},
      BATCH,
    );
    const { handle, states, results } = await runToEnd(backend, run, BATCH);
    expect(states.at(-1)).toBe('done');
    expect(handle.providerIds).toHaveLength(1);
    const posts = qmware.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    const body = posts[0].body as { code: { type: string; code: string } };
    expect(body.code.type).toBe('qasm2-batch');
    const sent = JSON.parse(body.code.code) as string[];
    expect(sent).toHaveLength(3);
    expect(sent[0]).toBe(BELL);
    expect(sent[1]).toMatch(/^OPENQASM 2\.0;/); // the QASM3 program, translated
    expect(results.map((r) => r.programId)).toEqual(run.programs.map((p) => p.id));
    expect(results[0].results[0].data).toEqual(local(BELL)[0].data);
    expect(Object.keys(results[0].results[0].data).sort()).toEqual(['0x0', '0x3']);
    expect(results[1].results[0].data).toEqual({ '0x2': 1000 });
    expect(results[2].results[0].data).toEqual({ '0x2 0x0': 1000 });
    expect(results.map((r) => r.results[0].meta.batchIndex)).toEqual([0, 1, 2]);
  });

  it('a batch answer of the wrong length is a failure, not a mismatch', async () => {
    const run = runOf(
      [
        { language: 'QASM2', source: BELL },
        { language: 'QASM2', source: BELL },
      ],
      {},
      BATCH,
    );
    const handle = await backend.submit(run, BATCH, { token: null }, 'k');
    qmware.advance(handle.providerIds[0], 'SUCCESS');
    const job = qmware.jobs.get(handle.providerIds[0])!;
    job.out = JSON.stringify(JSON.parse(job.out!).slice(0, 1));
    await expect(backend.fetchResults(handle, run, { token: null })).rejects.toThrow(
      `QMware batch job ${handle.providerIds[0]} answered 1 results for 2 circuits`,
    );
  });

  it('several programs on dev: one request each, results in program order', async () => {
    const run = runOf([
      { language: 'QASM2', source: ASYMMETRIC },
      { language: 'QASM2', source: BELL },
    ]);
    const { handle, results } = await runToEnd(backend, run, DEV);
    expect(handle.providerIds).toHaveLength(2);
    expect(results[0].results[0].data).toEqual({ '0x2 0x0': 1000 });
    expect(Object.keys(results[1].results[0].data).sort()).toEqual(['0x0', '0x3']);
  });

  it('SAMPLER: a QUASI_DIST as local', async () => {
    const run = runOf([{ language: 'QASM2', source: THREE_REGISTERS }], { type: 'SAMPLER' });
    const { results } = await runToEnd(backend, run, DEV);
    expect(results[0].results).toHaveLength(1);
    expect(results[0].results[0].resultType).toBe('QUASI_DIST');
    expect(results[0].results[0].data).toEqual(local(THREE_REGISTERS, 'SAMPLER')[0].data);
  });

  it('ESTIMATOR is refused at admission (field type), and by submit', async () => {
    expect(backend.admissionProblem({ hasToken: false, type: 'ESTIMATOR', shots: 10 })).toEqual({
      field: 'type',
      message: expect.stringContaining('ESTIMATOR jobs are not supported'),
    });
    const run = runOf([{ language: 'QASM2', source: BELL }], { type: 'ESTIMATOR', observables: [{ pauli: 'ZZ' }] });
    await expect(backend.submit(run, DEV, { token: null }, 'k')).rejects.toThrow('QMware does not run ESTIMATOR jobs');
  });

  it("a failed job reports QMware's status and words, naming the program", async () => {
    qmware.setAutoAdvance(false);
    const run = runOf([
      { language: 'QASM2', source: BELL },
      { language: 'QASM2', source: BELL },
    ]);
    const handle = await backend.submit(run, DEV, { token: null }, 'k');
    qmware.failJob(handle.providerIds[1], 'Simulation failed: out of memory');
    expect(await backend.poll(handle, { token: null })).toMatchObject({
      state: 'failed',
      message: `QMware job ${handle.providerIds[1]} returned status ERROR: Simulation failed: out of memory (program 1)`,
    });
  });

  it('a request QMware does not create fails with its message', async () => {
    qmware.failNext(200, { body: { jobCreated: false, message: 'Quota exceeded' } });
    await expect(
      backend.submit(runOf([{ language: 'QASM2', source: BELL }]), DEV, { token: null }, 'k'),
    ).rejects.toThrow('QMware did not create the job: Quota exceeded');
  });

  it('cancel is refused with the reason (QMware has no cancel)', async () => {
    expect(await backend.cancel()).toEqual({
      canceled: false,
      reason: 'QMware cannot cancel a job: its API offers no cancel',
    });
  });

  it('credentials: a job token "<key id>:<key>" is used first; a refused one is CredentialsRefused; none is CredentialsMissing', async () => {
    const keyless = new QmwareBackend({ url: qmware.url }, deps);
    expect(keyless.admissionProblem({ hasToken: false, type: 'RUNNER', shots: 10 })).toEqual({
      field: 'token',
      message: expect.stringMatching(/QMWARE_API_KEY and QMWARE_API_KEY_ID/),
    });
    expect(keyless.admissionProblem({ hasToken: true, type: 'SAMPLER', shots: 10 })).toBeNull();
    const missing = await keyless.poll({ providerIds: ['x'] }, { token: null }).catch((e) => e);
    expect(missing).toBeInstanceOf(CredentialsMissing);
    expect(missing.field).toBe('token');

    const { results } = await runToEnd(
      keyless,
      runOf([{ language: 'QASM2', source: ASYMMETRIC }]),
      DEV,
      'server-id:server-key',
    );
    expect(results[0].results[0].data).toEqual({ '0x2 0x0': 1000 });
    expect(qmware.requests.at(-1)!.headers).toMatchObject({ 'x-api-key': 'server-key', 'x-api-key-id': 'server-id' });

    const refused = await backend
      .submit(runOf([{ language: 'QASM2', source: BELL }]), DEV, { token: 'server-id:wrong' }, 'k')
      .catch((e) => e);
    expect(refused).toBeInstanceOf(CredentialsRefused);
    expect(refused.message).toBe('the token was refused by QMWARE (401: Invalid API key)');

    await expect(
      backend.submit(runOf([{ language: 'QASM2', source: BELL }]), DEV, { token: 'no-colon' }, 'k'),
    ).rejects.toThrow('a QMware token is "<API key id>:<API key>"');
  });

  it('429 with Retry-After and 5xx are RemoteUnavailable; so is a QMware that cannot be reached', async () => {
    qmware.failNext(429, { headers: { 'retry-after': '3' }, body: { message: 'Too many requests' } });
    const limited = await backend
      .submit(runOf([{ language: 'QASM2', source: BELL }]), DEV, { token: null }, 'k')
      .catch((e) => e);
    expect(limited).toBeInstanceOf(RemoteUnavailable);
    expect(limited.retryAfterMs).toBe(3000);
    expect(limited.message).toBe('QMWARE answered 429: Too many requests');

    qmware.failNext(502, { body: 'Bad Gateway' });
    const gateway = await backend.poll({ providerIds: ['x'] }, { token: null }).catch((e) => e);
    expect(gateway).toBeInstanceOf(RemoteUnavailable);
    expect(gateway.message).toBe('QMWARE answered 502: Bad Gateway');

    const port = await freePort();
    const unreachable = new QmwareBackend({ url: `http://127.0.0.1:${port}`, apiKey: 'k', apiKeyId: 'i' }, deps);
    const net = await unreachable.deviceStatus().catch((e) => e);
    expect(net).toBeInstanceOf(RemoteUnavailable);
    expect(net.message).toMatch(/^QMWARE could not be reached/);
  });

  it('findSubmitted answers null: QMware lists no jobs', async () => {
    await backend.submit(runOf([{ language: 'QASM2', source: BELL }]), DEV, { token: null }, 'the-key');
    expect(await backend.findSubmitted()).toBeNull();
  });

  it('devices: the three of qunicorn, online as /health says; status and calibration', async () => {
    expect(await backend.listDevices()).toEqual([
      { name: 'dev', providerDeviceId: 'dev', numQubits: -1, isSimulator: true, online: true },
      { name: 'dev-gpu', providerDeviceId: 'dev-gpu', numQubits: -1, isSimulator: true, online: true },
      { name: 'dev-batch', providerDeviceId: 'dev-batch', numQubits: -1, isSimulator: true, online: true },
    ]);
    expect(await backend.deviceStatus()).toEqual({
      online: true,
      queueLength: null,
      message: 'UP',
      raw: { status: 'UP' },
    });
    qmware.setHealth('DOWN');
    expect(await backend.deviceStatus()).toMatchObject({ online: false, message: 'DOWN' });
    expect(qmware.requests.at(-1)!.headers['x-api-key']).toBeUndefined();
    expect(await backend.calibration(DEV)).toEqual({
      device: 'dev',
      message: 'QMware publishes no calibration or properties data of its devices',
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
