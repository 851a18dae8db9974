/**
 * The IonQ adapter (src/execution/backends/ionq) against a fake of IonQ's REST API v0.4
 * (test/fakes/ionq.fake.ts), whose results our engine computes from the circuit it was sent: a
 * contract test of submit, poll, results (with the bit order on an asymmetric circuit checked
 * against our local simulator), SAMPLER, ESTIMATOR, failures, cancel, credentials, rate limits,
 * network errors, findSubmitted and the devices.
 */
import { createServer } from 'node:net';
import { CircuitError, parseProgram, simulate, translateTask, type CircuitLayout } from '../src/quantum';
import { IonqBackend, ionqTarget } from '../src/execution/backends/ionq/ionq.backend';
import { expectationValue, countsFromProbabilities } from '../src/execution/backends/ionq/ionq-results';
import { ProgramFailure, type BackendRun, type RemoteDevice } from '../src/execution/backends/quantum-backend';
import {
  CredentialsMissing,
  CredentialsRefused,
  RemoteUnavailable,
} from '../src/execution/backends/remote/remote-errors';
import { startFakeIonq, type FakeIonq } from './fakes/ionq.fake';
import { ASYMMETRIC, BELL, ENGINE_DEPS as deps, runToEnd as runOnFake } from './helpers/remote';

const X_ON_1 = `OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
x q[1];
c = measure q;
`;

const SIMULATOR: RemoteDevice = { name: 'simulator', providerDeviceId: 'simulator', numQubits: 29 };
const ARIA: RemoteDevice = { name: 'qpu.aria-1', providerDeviceId: 'qpu.aria-1', numQubits: 25 };

let jobCounter = 0;
function runOf(
  programs: { language: string; source: string }[],
  settings: Partial<BackendRun['settings']> = {},
  device: RemoteDevice = SIMULATOR,
): BackendRun {
  jobCounter++;
  return {
    jobId: `job-${jobCounter}`,
    attempts: 1,
    device: {
      id: `device-${device.name}`,
      providerName: 'IONQ',
      name: device.name,
      numQubits: device.numQubits,
      acceptedLanguages: ['IONQ', 'QASM2', 'QASM3'],
      isLocal: false,
      providerDeviceId: device.providerDeviceId,
    },
    programs: programs.map((p, i) => ({ id: `program-${jobCounter}-${i}`, position: i, ...p })),
    settings: { shots: 1000, seed: null, type: 'RUNNER', observables: null, errorMitigation: 'none', ...settings },
  };
}

/** What our local simulator answers for the same program (the formats every job's results have). */
function local(source: string, language = 'QASM2', type: 'RUNNER' | 'SAMPLER' = 'RUNNER', shots = 1000) {
  const circuit = parseProgram(language, source);
  return simulate({ circuit, shots, type, seed: 7, maxQubits: 20 });
}

const runToEnd = (backend: IonqBackend, run: BackendRun, device = SIMULATOR, token: string | null = null) =>
  runOnFake(backend, run, device, token);

describe('IonQ adapter against a fake of the IonQ API v0.4', () => {
  let ionq: FakeIonq;
  let backend: IonqBackend;

  beforeEach(async () => {
    ionq = await startFakeIonq({ apiKey: 'server-key' });
    backend = new IonqBackend({ apiKey: 'server-key', apiUrl: ionq.url }, deps);
  });
  afterEach(async () => {
    await ionq.close();
  });

  it('describes provider IONQ: with token, IonQ JSON and what the engine translates, the simulator seeded', () => {
    const d = backend.describe();
    expect(d.name).toBe('IONQ');
    expect(d.withToken).toBe(true);
    expect(d.languages[0]).toBe('IONQ');
    expect(d.languages).toEqual(expect.arrayContaining(['QASM2', 'QASM3', 'QUIL', 'QISKIT', 'BRAKET']));
    expect(d.devices).toEqual([
      { name: 'simulator', numQubits: 29, isSimulator: true, isLocal: false, providerDeviceId: 'simulator' },
    ]);
  });

  it('Bell on the simulator: submitted as ionq.circuit.v1 (qis), queued -> running -> done, 00 and 11 only', async () => {
    const run = runOf([{ language: 'QASM2', source: BELL }]);
    const { handle, states, results } = await runToEnd(backend, run);
    expect(states).toEqual(['queued', 'running', 'done']);

    const post = ionq.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/v0.4/jobs');
    expect(post.headers.authorization).toBe('apiKey server-key');
    const body = post.body as Record<string, any>;
    expect(body).toMatchObject({
      type: 'ionq.circuit.v1',
      backend: 'simulator',
      shots: 1000,
      noise: { model: 'ideal' },
      metadata: { qunest_job: run.jobId, qunest_submission: `key-${run.jobId}` },
    });
    expect(body.input).toEqual({
      gateset: 'qis',
      qubits: 2,
      circuit: [
        { gate: 'h', target: 0 },
        { gate: 'cnot', control: 0, target: 1 },
      ],
    });
    expect(handle.providerIds).toEqual([ionq.jobs.values().next().value!.id]);

    expect(results).toHaveLength(1);
    const [counts, probabilities] = results[0].results;
    expect(results[0].programId).toBe(run.programs[0].id);
    expect(counts.resultType).toBe('COUNTS');
    expect(counts.data).toEqual({ '0x0': 500, '0x3': 500 });
    expect(probabilities.resultType).toBe('PROBABILITIES');
    expect(probabilities.data).toEqual({ '0x0': 0.5, '0x3': 0.5 });
    expect(counts.meta).toMatchObject({
      format: 'hex',
      shots: 1000,
      registers: [{ name: 'c', size: 2 }],
      backend: 'simulator',
      ionqJobId: handle.providerIds[0],
      noiseModel: 'ideal',
      executionDurationMs: 12,
      countsFrom: 'probabilities',
      cost: { actual: { value: 0, unit: 'usd' }, estimated: { value: 0, unit: 'usd' } },
    });
  });

  it('bit order: X on qubit 0 of 3, two registers measured out of order, gives the keys local results have', async () => {
    for (const device of [SIMULATOR, ARIA]) {
      const run = runOf([{ language: 'QASM2', source: ASYMMETRIC }], {}, device);
      const { results } = await runToEnd(backend, run, device);
      const [counts, probabilities] = results[0].results;
      const [localCounts, localProbabilities] = local(ASYMMETRIC);
      // q0 = 1 is measured into b[1]: register b (declared last, printed first) = 0b10, a = 0.
      expect(counts.data).toEqual({ '0x2 0x0': 1000 });
      expect(counts.data).toEqual(localCounts.data);
      expect(probabilities.data).toEqual(localProbabilities.data);
      expect(counts.meta.registers).toEqual((localCounts.meta as { registers: unknown }).registers);
    }
    // IonQ itself answered state 1 (qubit 0 the low bit) for both.
    const answers = [...ionq.jobs.values()].map((j) => j.probabilities);
    expect(answers).toEqual([{ '1': 1 }, { '1': 1 }]);
  });

  it('a QPU answers sampled frequencies; the counts are those shots, in the formats of local results', async () => {
    const run = runOf([{ language: 'QASM2', source: BELL }], { shots: 200 }, ARIA);
    const { results } = await runToEnd(backend, run, ARIA);
    const [counts] = results[0].results;
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0x3']);
    const total = Object.values(counts.data as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(total).toBe(200);
    const fake = [...ionq.jobs.values()][0];
    expect(fake.probabilities!['0'] * 200).toBeCloseTo((counts.data as Record<string, number>)['0x0'], 9);
    expect(counts.meta).toMatchObject({ backend: 'qpu.aria-1', cost: { actual: { value: 2, unit: 'usd' } } });
    expect(counts.meta.noiseModel).toBeUndefined();
  });

  it('SAMPLER: a QUASI_DIST over all clbits, as local', async () => {
    const run = runOf([{ language: 'QASM2', source: ASYMMETRIC }], { type: 'SAMPLER' });
    const { results } = await runToEnd(backend, run);
    expect(results[0].results).toHaveLength(1);
    const [quasi] = results[0].results;
    const [localQuasi] = local(ASYMMETRIC, 'QASM2', 'SAMPLER');
    expect(quasi.resultType).toBe('QUASI_DIST');
    expect(quasi.data).toEqual({ '0x4': 1 });
    expect(quasi.data).toEqual(localQuasi.data);
  });

  it('several programs go as one ionq.multi-circuit.v1 job, each result matched to its program', async () => {
    const run = runOf([
      { language: 'QASM2', source: BELL },
      { language: 'QASM3', source: X_ON_1 },
      { language: 'QASM2', source: ASYMMETRIC },
    ]);
    const { handle, results } = await runToEnd(backend, run);
    const body = ionq.requests.find((r) => r.method === 'POST')!.body as Record<string, any>;
    expect(body.type).toBe('ionq.multi-circuit.v1');
    expect(body.input.qubits).toBe(3);
    expect(body.input.circuits.map((c: any) => c.name)).toEqual(['program 0', 'program 1', 'program 2']);
    expect(handle.providerIds).toHaveLength(1);
    expect(results.map((r) => r.programId)).toEqual(run.programs.map((p) => p.id));
    expect(results[0].results[0].data).toEqual({ '0x0': 500, '0x3': 500 });
    expect(results[1].results[0].data).toEqual({ '0x2': 1000 });
    expect(results[2].results[0].data).toEqual({ '0x2 0x0': 1000 });
  });

  it('an IONQ program goes as written: its native gateset kept, comments dropped', async () => {
    const source = `{
      // a fully entangling Mølmer–Sørensen gate on |00>
      "format": "ionq.circuit.v0",
      "gateset": "native",
      "qubits": 2,
      "circuit": [ { "gate": "ms", "targets": [0, 1], "phases": [0, 0] } /* angle 0.25 */ ]
    }`;
    const run = runOf([{ language: 'IONQ', source }]);
    const { results } = await runToEnd(backend, run);
    const body = ionq.requests.find((r) => r.method === 'POST')!.body as Record<string, any>;
    expect(body.input).toEqual({
      gateset: 'native',
      qubits: 2,
      circuit: [{ gate: 'ms', targets: [0, 1], phases: [0, 0] }],
    });
    expect(results[0].results[0].data).toEqual({ '0x0': 500, '0x3': 500 });
  });

  it('a noisy simulator device sends noise.model and the job seed', async () => {
    const device: RemoteDevice = { name: 'simulator.aria-1', providerDeviceId: 'simulator.aria-1', numQubits: 29 };
    expect(ionqTarget(device)).toEqual({ backend: 'simulator', noiseModel: 'aria-1' });
    const run = runOf([{ language: 'QASM2', source: BELL }], { seed: 42 }, device);
    const { results } = await runToEnd(backend, run, device);
    const body = ionq.requests.find((r) => r.method === 'POST')!.body as Record<string, any>;
    expect(body.backend).toBe('simulator');
    expect(body.noise).toEqual({ model: 'aria-1', seed: 42 });
    expect(results[0].results[0].meta.noiseModel).toBe('aria-1');
  });

  it('ESTIMATOR: one circuit per group of commuting observables, values equal to the local exact ones', async () => {
    const observables = [
      { pauli: 'ZZ' },
      { pauli: 'XX', coefficient: 2 },
      { pauli: 'YY', coefficient: 0.5 },
      { pauli: 'ZI' },
      { pauli: 'IX', coefficient: -1 },
    ];
    const source = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
ry(0.7) q[0];
cx q[0], q[1];
rz(0.3) q[1];
measure q -> c;
`;
    const run = runOf([{ language: 'QASM2', source }], { type: 'ESTIMATOR', observables, shots: 4000 });
    const { results } = await runToEnd(backend, run);
    const body = ionq.requests.find((r) => r.method === 'POST')!.body as Record<string, any>;
    expect(body.type).toBe('ionq.multi-circuit.v1');
    // ZZ with ZI, XX with IX, YY alone.
    expect(body.input.circuits.map((c: any) => c.name)).toEqual([
      'program 0, observables 0 3',
      'program 0, observables 1 4',
      'program 0, observables 2',
    ]);
    expect(body.input.circuits[2].circuit.slice(-4)).toEqual([
      { gate: 'si', target: 0 },
      { gate: 'h', target: 0 },
      { gate: 'si', target: 1 },
      { gate: 'h', target: 1 },
    ]);
    const exact = simulate({
      circuit: parseProgram('QASM2', source),
      shots: 4000,
      type: 'ESTIMATOR',
      observables,
      maxQubits: 4,
    });
    expect(results[0].results).toHaveLength(observables.length);
    results[0].results.forEach((r, i) => {
      expect(r.resultType).toBe('VALUE_AND_VARIANCE');
      expect(r.data.value as number).toBeCloseTo(exact[i].data.value as number, 9);
      expect(r.data.variance as number).toBeCloseTo(exact[i].data.variance as number, 9);
      expect(r.meta).toMatchObject({
        observable: observables[i].pauli,
        coefficient: observables[i].coefficient ?? 1,
        exact: false,
        shots: 4000,
        backend: 'simulator',
      });
    });
    expect(results[0].results[1].data.value as number).toBeCloseTo(2 * Math.sin(0.7) * Math.cos(0.3), 9);
  });

  it('ESTIMATOR with an observable of the wrong width names the program', async () => {
    const run = runOf([{ language: 'QASM2', source: BELL }], { type: 'ESTIMATOR', observables: [{ pauli: 'ZZZ' }] });
    await expect(backend.submit(run, SIMULATOR, { token: null }, 'k')).rejects.toThrow(
      /program 0: observable ZZZ has 3 Paulis, but the circuit has 2 qubits/,
    );
    expect(ionq.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it("a failed job reports IonQ's own words and code", async () => {
    ionq.setAutoAdvance(false);
    const run = runOf([{ language: 'QASM2', source: BELL }], {}, ARIA);
    const handle = await backend.submit(run, ARIA, { token: null }, 'k-fail');
    expect(await backend.poll(handle, { token: null })).toEqual({ state: 'queued' });
    ionq.failJob(handle.providerIds[0], 'Job compilation failed: unsupported gate', 'CompilationError');
    expect(await backend.poll(handle, { token: null })).toEqual({
      state: 'failed',
      message: 'Job compilation failed: unsupported gate (CompilationError)',
      data: { failure: { error: 'Job compilation failed: unsupported gate', code: 'CompilationError' } },
    });
  });

  it('a circuit wider than the QPU fails at IonQ with NotEnoughQubits (device width unknown here)', async () => {
    const wide = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[26];\ncreg c[26];\nx q[25];\nmeasure q -> c;\n`;
    const unknownWidth = { ...ARIA, numQubits: 0 };
    const run = runOf([{ language: 'QASM2', source: wide }], {}, unknownWidth);
    const handle = await backend.submit(run, unknownWidth, { token: null }, 'k-wide');
    ionq.advance(handle.providerIds[0], 'completed');
    const status = await backend.poll(handle, { token: null });
    expect(status).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/needs 26 qubits.*\(NotEnoughQubits\)/),
    });
    // With the device's width known, the program is refused before anything is sent.
    await expect(
      backend.submit(runOf([{ language: 'QASM2', source: wide }], {}, ARIA), ARIA, { token: null }, 'x'),
    ).rejects.toThrow("program 0 uses 26 qubits, more than the 25 of IonQ's qpu.aria-1");
  });

  it('mid-circuit measurement and bad programs are refused with the program named', async () => {
    const mid = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nx q[0];\nmeasure q[0] -> c[0];\n`;
    const err = await backend
      .submit(runOf([{ language: 'QASM2', source: mid }]), SIMULATOR, { token: null }, 'k')
      .catch((e) => e);
    expect(err).toBeInstanceOf(ProgramFailure);
    expect(err.message).toMatch(/^program 0 cannot be sent to IonQ: .*mid-circuit measurement/);
    const bad = await backend
      .submit(
        runOf([{ language: 'QASM2', source: 'OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n' }]),
        SIMULATOR,
        { token: null },
        'k',
      )
      .catch((e) => e);
    expect(bad).toBeInstanceOf(ProgramFailure);
    expect(bad.cause).toBeInstanceOf(CircuitError);
  });

  it("cancel: accepted while queued, refused with IonQ's reason once completed", async () => {
    ionq.setAutoAdvance(false);
    const run = runOf([{ language: 'QASM2', source: BELL }]);
    const handle = await backend.submit(run, SIMULATOR, { token: null }, 'k-cancel');
    expect(await backend.cancel(handle, { token: null })).toEqual({ canceled: true });
    expect(ionq.jobs.get(handle.providerIds[0])!.status).toBe('canceled');
    expect(ionq.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: `/v0.4/jobs/${handle.providerIds[0]}/status/cancel`,
    });
    expect(await backend.poll(handle, { token: null })).toEqual({ state: 'canceled' });

    const done = await backend.submit(
      runOf([{ language: 'QASM2', source: BELL }]),
      SIMULATOR,
      { token: null },
      'k-done',
    );
    ionq.advance(done.providerIds[0], 'completed');
    const refused = await backend.cancel(done, { token: null });
    expect(refused).toEqual({
      canceled: false,
      reason: expect.stringMatching(/IONQ answered 400: Job .* is completed and cannot be canceled/),
    });
  });

  it("the job's token is used before the server's key; a refused one is CredentialsRefused", async () => {
    const run = runOf([{ language: 'QASM2', source: BELL }]);
    const err = await backend.submit(run, SIMULATOR, { token: 'wrong-key' }, 'k').catch((e) => e);
    expect(err).toBeInstanceOf(CredentialsRefused);
    expect(err.message).toBe(
      'the token was refused by IONQ (401: The request failed to authenticate the supplied API key)',
    );
    expect(ionq.requests.at(-1)!.headers.authorization).toBe('apiKey wrong-key');

    const tokenOnly = new IonqBackend({ apiUrl: ionq.url }, deps);
    const { results } = await runToEnd(
      tokenOnly,
      runOf([{ language: 'QASM2', source: BELL }]),
      SIMULATOR,
      'server-key',
    );
    expect(results[0].results[0].data).toEqual({ '0x0': 500, '0x3': 500 });
  });

  it('admission: no job token and no IONQ_API_KEY is refused naming the token; calls without one throw CredentialsMissing', async () => {
    const keyless = new IonqBackend({ apiUrl: ionq.url }, deps);
    expect(keyless.admissionProblem({ hasToken: false, type: 'RUNNER', shots: 10 })).toEqual({
      field: 'token',
      message: expect.stringContaining('IONQ_API_KEY'),
    });
    expect(keyless.admissionProblem({ hasToken: true, type: 'ESTIMATOR', shots: 10 })).toBeNull();
    expect(backend.admissionProblem({ hasToken: false, type: 'SAMPLER', shots: 10 })).toBeNull();
    const err = await keyless.poll({ providerIds: ['x'] }, { token: null }).catch((e) => e);
    expect(err).toBeInstanceOf(CredentialsMissing);
    expect(err.field).toBe('token');
  });

  it('429 with Retry-After and 5xx are RemoteUnavailable; so is a provider that cannot be reached', async () => {
    const run = runOf([{ language: 'QASM2', source: BELL }]);
    ionq.failNext(429, {
      headers: { 'retry-after': '7' },
      body: { error: 'Too Many Requests', message: 'Rate limit exceeded', statusCode: 429 },
    });
    const limited = await backend.submit(run, SIMULATOR, { token: null }, 'k').catch((e) => e);
    expect(limited).toBeInstanceOf(RemoteUnavailable);
    expect(limited.retryAfterMs).toBe(7000);
    expect(limited.message).toBe('IONQ answered 429: Rate limit exceeded');

    ionq.failNext(503, { body: { error: 'Service Unavailable', message: 'maintenance', statusCode: 503 } });
    const down = await backend.poll({ providerIds: ['x'] }, { token: null }).catch((e) => e);
    expect(down).toBeInstanceOf(RemoteUnavailable);
    expect(down.retryAfterMs).toBeNull();

    const port = await freePort();
    const unreachable = new IonqBackend({ apiKey: 'k', apiUrl: `http://127.0.0.1:${port}/v0.4` }, deps);
    const net = await unreachable.listDevices({ token: null }).catch((e) => e);
    expect(net).toBeInstanceOf(RemoteUnavailable);
    expect(net.message).toMatch(/^IONQ could not be reached/);
  });

  it('findSubmitted finds the job of a submission key (not its children), and null for another key', async () => {
    const run = runOf([
      { language: 'QASM2', source: BELL },
      { language: 'QASM2', source: BELL },
    ]);
    const handle = await backend.submit(run, SIMULATOR, { token: null }, 'the-key');
    await backend.submit(runOf([{ language: 'QASM2', source: BELL }]), SIMULATOR, { token: null }, 'other-key');
    const found = await backend.findSubmitted('the-key', SIMULATOR, { token: null });
    expect(found?.providerIds).toEqual(handle.providerIds);
    expect(await backend.findSubmitted('missing-key', SIMULATOR, { token: null })).toBeNull();
    // A resubmission after a found one is not needed: the found handle reads the same results.
    ionq.advance(handle.providerIds[0], 'completed');
    const results = await backend.fetchResults(found!, run, { token: null });
    expect(results.map((r) => r.results[0].data)).toEqual([
      { '0x0': 500, '0x3': 500 },
      { '0x0': 500, '0x3': 500 },
    ]);
  });

  it('listDevices: the simulator, one device per noise model, and the QPUs with their width and status', async () => {
    const devices = await backend.listDevices({ token: null });
    expect(devices).toEqual([
      { name: 'simulator', providerDeviceId: 'simulator', numQubits: 29, isSimulator: true, online: true },
      {
        name: 'simulator.aria-1',
        providerDeviceId: 'simulator.aria-1',
        numQubits: 29,
        isSimulator: true,
        online: true,
      },
      {
        name: 'simulator.forte-1',
        providerDeviceId: 'simulator.forte-1',
        numQubits: 29,
        isSimulator: true,
        online: true,
      },
      { name: 'qpu.aria-1', providerDeviceId: 'qpu.aria-1', numQubits: 25, isSimulator: false, online: true },
      { name: 'qpu.forte-1', providerDeviceId: 'qpu.forte-1', numQubits: 36, isSimulator: false, online: false },
    ]);
  });

  it('deviceStatus and calibration read the backend and its latest characterization', async () => {
    const forte: RemoteDevice = { name: 'qpu.forte-1', providerDeviceId: 'qpu.forte-1', numQubits: 36 };
    const status = await backend.deviceStatus(forte, { token: null });
    expect(status).toMatchObject({ online: false, queueLength: null, message: 'unavailable (degraded)' });
    expect(status.raw).toMatchObject({ backend: 'qpu.forte-1', qubits: 36, degraded: true });
    const noisy = await backend.deviceStatus(
      { name: 'simulator.aria-1', providerDeviceId: 'simulator.aria-1', numQubits: 29 },
      { token: null },
    );
    expect(noisy).toMatchObject({ online: true, message: 'available' });
    expect(ionq.requests.at(-1)!.path).toBe('/v0.4/backends/simulator');

    const cal = await backend.calibration(ARIA, { token: null });
    expect(cal).toMatchObject({
      backend: 'qpu.aria-1',
      characterizations: [{ qubits: 25, fidelity: { '2q': { median: 0.99 } } }],
    });
    expect(ionq.requests.at(-1)!.path).toBe('/v0.4/backends/qpu.aria-1/characterizations?limit=1');
    expect(await backend.calibration(SIMULATOR, { token: null })).toMatchObject({ characterizations: [] });
  });
});

describe('IonQ result helpers', () => {
  it('counts from probabilities keep the total and are exact for frequencies', () => {
    const p = new Map([
      ['00', 1 / 3],
      ['11', 2 / 3],
    ]);
    expect(countsFromProbabilities(p, 100)).toEqual([
      ['00', 33],
      ['11', 67],
    ]);
    expect(
      countsFromProbabilities(
        new Map([
          ['0', 0.123],
          ['1', 0.877],
        ]),
        1000,
      ),
    ).toEqual([
      ['0', 123],
      ['1', 877],
    ]);
  });

  it('expectation values read qubit i from bit i of the state', () => {
    // state 1 = qubit 0 is 1: <Z on q0> = -1, <Z on q1> = +1.
    expect(expectationValue({ '1': 1 }, ['Z', 'I'])).toBe(-1);
    expect(expectationValue({ '1': 1 }, ['I', 'Z'])).toBe(1);
    expect(expectationValue({ '0': 0.25, '3': 0.75 }, ['Z', 'Z'])).toBe(1);
  });

  it("layout typing is the engine's", () => {
    const layout: CircuitLayout = translateTask({
      language: 'QASM2',
      source: ASYMMETRIC,
      to: 'IONQ',
      withLayout: true,
    }).layout!;
    expect(layout.measurements).toEqual([
      { qubit: 0, clbit: 2 },
      { qubit: 1, clbit: 0 },
      { qubit: 2, clbit: 1 },
    ]);
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
