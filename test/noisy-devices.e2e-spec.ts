import { SignJWT } from 'jose';
import { DEFAULT_NOISE_MODEL, NOISE_PRESETS } from '../src/quantum';
import { startTestApp, type TestApp } from './helpers/app';
import { Http, waitUntil } from './helpers/http';

/**
 * LOCAL/noisy-simulator through HTTP: its noise model shown and changed by admins (validated, 403
 * for others), jobs run with and without error mitigation, mitigation refused where it does not apply.
 */
const SECRET = 'e2e-noisy-devices-secret-0123456789-abcdefghij';
const token = (sub: string, extra: Record<string, unknown> = {}) =>
  new SignJWT({ sub, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));

const GHZ4 =
  'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\ncx q[2],q[3];\nmeasure q -> c;\n';

describe('noisy-simulator and error mitigation', () => {
  let t: TestApp;
  let alice: Http;
  let admin: Http;
  let noisy: string;
  let ideal: string;
  let deploymentId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, auth: { jwtSecret: SECRET } });
    const anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    admin = anon.as(await token('root', { roles: ['admin'] }));
    const local = (await alice.get('/api/devices?provider=LOCAL')).body.items as { id: string; name: string }[];
    noisy = local.find((d) => d.name === 'noisy-simulator')!.id;
    ideal = local.find((d) => d.name === 'statevector-simulator')!.id;
    const dep = await alice.post('/api/deployments', {
      name: 'ghz4',
      programs: [{ quantumCircuit: GHZ4, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    deploymentId = dep.body.id;
  });
  afterAll(() => t?.close());
  // A test that changes the shared device's model and fails before it puts it back leaves no trace.
  afterEach(async () => {
    expect((await admin.patch(`/api/devices/${noisy}`, { noiseModel: DEFAULT_NOISE_MODEL })).status).toBe(200);
  });

  async function run(body: Record<string, unknown>): Promise<any> {
    const res = await alice.post('/api/jobs', { deploymentId, deviceId: noisy, shots: 20000, seed: 5, ...body });
    expect(res.status).toBe(201);
    const job = await waitUntil(
      async () => {
        const j = (await alice.get(`/api/jobs/${res.body.id}`)).body;
        return ['FINISHED', 'ERROR', 'CANCELED'].includes(j.state) ? j : undefined;
      },
      'the job to end',
      60_000,
    );
    expect(job.state).toBe('FINISHED');
    return job;
  }

  it('shows the noise model in the device, and as its calibration', async () => {
    const device = (await alice.get(`/api/devices/${noisy}`)).body;
    expect(device).toMatchObject({ name: 'noisy-simulator', isLocal: true, noiseModel: DEFAULT_NOISE_MODEL });
    expect((await alice.get(`/api/devices/${ideal}`)).body.noiseModel).toBeNull();
    const calibration = (await alice.get(`/api/devices/${noisy}/calibration`)).body;
    expect(calibration).toMatchObject({ source: 'local', calibration: { noiseModel: DEFAULT_NOISE_MODEL } });
  });

  it('runs GHZ-4 with noise, and with each mitigation closer to the exact <ZZZZ> = 1 than without', async () => {
    const raw = await run({ type: 'RUNNER' });
    const counts = raw.results.find((r: any) => r.resultType === 'COUNTS').data as Record<string, number>;
    // Noise: outcomes besides 0000 and 1111, but those two still dominate.
    expect(Object.keys(counts).length).toBeGreaterThan(2);
    expect((counts['0x0'] + counts['0xf']) / 20000).toBeGreaterThan(0.8);

    const observables = [{ pauli: 'ZZZZ' }];
    const plain = (await run({ type: 'ESTIMATOR', observables })).results[0];
    expect(plain.resultType).toBe('VALUE_AND_VARIANCE');
    const rawError = Math.abs(plain.data.value - 1);
    expect(rawError).toBeGreaterThan(0.05);
    for (const method of ['readout_mitigation', 'twirled_readout_error_extinction', 'zne', 'pec']) {
      const job = await run({ type: 'ESTIMATOR', observables, errorMitigation: method });
      expect(job.errorMitigation).toBe(method);
      const [result] = job.results;
      expect(result.resultType).toBe('VALUE_AND_VARIANCE');
      expect(result.meta.errorMitigation).toMatchObject({ method, applied: true });
      // The raw value is the unmitigated job's (TREX's raw is read through the twirled readout).
      if (method !== 'twirled_readout_error_extinction') {
        expect(result.meta.errorMitigation.raw.value).toBeCloseTo(plain.data.value, 10);
      }
      expect({ method, better: Math.abs(result.data.value - 1) < rawError }).toEqual({ method, better: true });
      if (method === 'zne') expect(result.meta.errorMitigation.scaleFactors).toEqual([1, 3, 5]);
    }

    // SAMPLER: a mitigated QUASI_DIST, the raw one in meta.
    const sampled = (await run({ type: 'SAMPLER', errorMitigation: 'readout_mitigation' })).results[0];
    expect(sampled.resultType).toBe('QUASI_DIST');
    const tvd = (d: Record<string, number>) =>
      [...new Set([...Object.keys(d), '0x0', '0xf'])].reduce(
        (s, k) => s + Math.abs((d[k] ?? 0) - (k === '0x0' || k === '0xf' ? 0.5 : 0)) / 2,
        0,
      );
    expect(tvd(sampled.data)).toBeLessThan(tvd(sampled.meta.errorMitigation.raw));
  });

  it('refuses mitigation where it does not apply, with 422 naming errorMitigation', async () => {
    const refused = async (body: Record<string, unknown>, words: string) => {
      const res = await alice.post('/api/jobs', { deploymentId, shots: 100, ...body });
      expect({ status: res.status, field: res.body.field }).toEqual({ status: 422, field: 'errorMitigation' });
      expect(res.body.message).toContain(words);
    };
    await refused({ deviceId: ideal, type: 'SAMPLER', errorMitigation: 'zne' }, 'ideal simulator');
    await refused({ deviceId: noisy, type: 'SAMPLER', errorMitigation: 'pec' }, 'use type ESTIMATOR');
    await refused({ deviceId: noisy, type: 'SAMPLER', errorMitigation: 'dd' }, 'its noise model has no idle noise');
    await refused({ deviceId: noisy, type: 'RUNNER', errorMitigation: 'zne' }, 'use type SAMPLER or ESTIMATOR');
  });

  it('applies dynamical decoupling on a device with idle detuning: a waiting Bell pair keeps <XX> closer to 1', async () => {
    // A Bell pair, then q0 does 60 gates (H H pairs) while q1 waits 60 layers.
    const bell = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n' + 'h q[0];\n'.repeat(60);
    const dep = await alice.post('/api/deployments', {
      name: 'bell-wait',
      programs: [{ quantumCircuit: bell, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    const local = (await alice.get('/api/devices?provider=LOCAL')).body.items as { id: string; name: string }[];
    const superconducting = local.find((d) => d.name === 'noisy-superconducting')!.id;
    expect((await alice.get(`/api/devices/${superconducting}`)).body.noiseModel.idle).toEqual(
      NOISE_PRESETS.superconducting.idle,
    );
    const observables = [{ pauli: 'XX' }];
    const on = { deploymentId: dep.body.id, deviceId: superconducting, type: 'ESTIMATOR', observables };
    const plain = (await run(on)).results[0];
    const job = await run({ ...on, errorMitigation: 'dd' });
    expect(job.errorMitigation).toBe('dd');
    const [result] = job.results;
    expect(result.resultType).toBe('VALUE_AND_VARIANCE');
    expect(result.meta.errorMitigation).toMatchObject({
      method: 'dd',
      applied: true,
      sequence: 'X-X',
      windows: 1,
      extraGates: 2,
    });
    expect(result.meta.errorMitigation.raw.value).toBeCloseTo(plain.data.value, 10);
    const rawError = Math.abs(plain.data.value - 1);
    expect(rawError).toBeGreaterThan(0.2);
    expect(Math.abs(result.data.value - 1)).toBeLessThan(rawError / 2);
  });

  it('accepts idle noise in a changed model (dd then applies), validated with its field names', async () => {
    const bad = await admin.patch(`/api/devices/${noisy}`, {
      noiseModel: { ...DEFAULT_NOISE_MODEL, idle: { detuning: 5, amplitudeDamping: 0, phaseDamping: 0 } },
    });
    expect({ status: bad.status, field: bad.body.field }).toEqual({ status: 422, field: 'noiseModel.idle.detuning' });
    const partial = await admin.patch(`/api/devices/${noisy}`, {
      noiseModel: { ...DEFAULT_NOISE_MODEL, idle: { detuning: 0.02 } },
    });
    expect({ status: partial.status, field: partial.body.field }).toEqual({
      status: 422,
      field: 'noiseModel.idle.amplitudeDamping',
    });
    const idle = { detuning: 0.02, amplitudeDamping: 0.0005, phaseDamping: 0.0005 };
    const ok = await admin.patch(`/api/devices/${noisy}`, { noiseModel: { ...DEFAULT_NOISE_MODEL, idle } });
    expect(ok.status).toBe(200);
    expect(ok.body.noiseModel.idle).toEqual(idle);
    const job = await run({ type: 'SAMPLER', shots: 2000, errorMitigation: 'dd' });
    expect(job.results[0].meta.errorMitigation).toMatchObject({ method: 'dd', applied: true });
    // Without a detuning, dd is refused again (DD cannot reduce Markovian damping).
    const markovian = { ...idle, detuning: 0 };
    expect(
      (await admin.patch(`/api/devices/${noisy}`, { noiseModel: { ...DEFAULT_NOISE_MODEL, idle: markovian } })).status,
    ).toBe(200);
    const res = await alice.post('/api/jobs', {
      deploymentId,
      deviceId: noisy,
      type: 'SAMPLER',
      shots: 100,
      errorMitigation: 'dd',
    });
    expect({ status: res.status, field: res.body.field }).toEqual({ status: 422, field: 'errorMitigation' });
    expect(res.body.message).toContain('no coherent detuning');
    expect((await admin.patch(`/api/devices/${noisy}`, { noiseModel: DEFAULT_NOISE_MODEL })).status).toBe(200);
    expect((await alice.get(`/api/devices/${noisy}`)).body.noiseModel).toEqual(DEFAULT_NOISE_MODEL);
  });

  it('lets admins change the noise model (validated, 422 naming the field); others get 403', async () => {
    const quiet = { ...DEFAULT_NOISE_MODEL, twoQubitDepolarizing: 0, readoutError: { p01: 0, p10: 0 } };
    expect((await alice.patch(`/api/devices/${noisy}`, { noiseModel: quiet })).status).toBe(403);
    const bad = await admin.patch(`/api/devices/${noisy}`, {
      noiseModel: { ...DEFAULT_NOISE_MODEL, readoutError: { p01: 0.7, p10: 0 } },
    });
    expect({ status: bad.status, field: bad.body.field }).toEqual({
      status: 422,
      field: 'noiseModel.readoutError.p01',
    });
    const missing = await admin.patch(`/api/devices/${noisy}`, { noiseModel: { oneQubitDepolarizing: 0.1 } });
    expect({ status: missing.status, field: missing.body.field }).toEqual({
      status: 422,
      field: 'noiseModel.twoQubitDepolarizing',
    });
    const onIdeal = await admin.patch(`/api/devices/${ideal}`, { noiseModel: quiet });
    expect({ status: onIdeal.status, field: onIdeal.body.field }).toEqual({ status: 422, field: 'noiseModel' });

    const ok = await admin.patch(`/api/devices/${noisy}`, { noiseModel: quiet });
    expect(ok.status).toBe(200);
    expect(ok.body.noiseModel).toEqual(quiet);
    expect((await alice.get(`/api/devices/${noisy}`)).body.noiseModel).toEqual(quiet);
    // The next job runs with it: without two-qubit or readout error, GHZ-4 reads 0000 or 1111 nearly always.
    const job = await run({ type: 'RUNNER', shots: 2000 });
    const counts = job.results.find((r: any) => r.resultType === 'COUNTS').data as Record<string, number>;
    expect((counts['0x0'] + counts['0xf']) / 2000).toBeGreaterThan(0.98);
    expect((await admin.patch(`/api/devices/${noisy}`, { noiseModel: DEFAULT_NOISE_MODEL })).status).toBe(200);
  });
});
