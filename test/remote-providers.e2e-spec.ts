import { loadConfig, type AppConfig } from '../src/config/app-config';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { startFakeBraket, type FakeBraket } from './fakes/braket.fake';
import { startFakeIonq, type FakeIonq } from './fakes/ionq.fake';
import { startFakeQmware, type FakeQmware } from './fakes/qmware.fake';
import { ASYMMETRIC } from './helpers/remote';

/**
 * Amazon Braket, IonQ and QMware through the whole remote lifecycle, end to end: the HTTP API, the
 * worker that submits and lets go, the follow entries that poll, and the adapters against fakes of
 * the providers' APIs (test/fakes/: Braket API 2019-09-01 with S3, IonQ v0.4, qunicorn-core's QMware
 * protocol). Results must be those of the same programs on our own engine.
 */

interface Result {
  programId: string;
  resultType: string;
  data: Record<string, number>;
  meta: Record<string, unknown>;
}

describe('jobs on Amazon Braket, IonQ and QMware devices (against their fakes)', () => {
  let braket: FakeBraket;
  let ionq: FakeIonq;
  let qmware: FakeQmware;
  let t: TestApp;
  let http: Http;
  let providers: AppConfig['providers'];
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    [braket, ionq, qmware] = await Promise.all([startFakeBraket(), startFakeIonq(), startFakeQmware()]);
    // The standard AWS credential chain reads the environment (the fake takes any key id).
    process.env.AWS_ACCESS_KEY_ID = 'AKIAQUNESTTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'qunest-test-secret';
    const base = loadConfig({}).providers;
    providers = {
      ...base,
      pollMinSeconds: 1,
      pollMaxSeconds: 1,
      requestTimeoutSeconds: 5,
      aws: {
        region: braket.region,
        braketEndpoint: braket.url,
        s3Endpoint: braket.s3Url,
        resultsBucket: braket.bucket,
        resultsPrefix: 'qunest-test',
      },
      ionq: { apiKey: ionq.apiKey, apiUrl: ionq.url },
      qmware: { url: qmware.url, apiKey: qmware.apiKey, apiKeyId: qmware.apiKeyId },
    };
    t = await startTestApp({ workerConcurrency: 2, providers });
    http = new Http(t.baseUrl);
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([braket?.close(), ionq?.close(), qmware?.close()]);
    process.env = savedEnv;
  });

  async function deploy(...programs: string[]): Promise<{ id: string; programIds: string[] }> {
    const res = await http.post('/api/deployments', {
      name: 'remote',
      programs: programs.map((quantumCircuit) => ({ quantumCircuit, assemblerLanguage: 'QASM2' })),
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, programIds: res.body.programs.map((p: { id: string }) => p.id) };
  }

  async function run(deploymentId: string, device: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const res = await http.post('/api/jobs', { deploymentId, shots: 200, ...device, ...extra });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    await waitUntil(
      async () => ['FINISHED', 'ERROR', 'CANCELED'].includes((await http.get(`/api/jobs/${id}`)).body.state),
      `job ${id} to end`,
      60_000,
    );
    return (await http.get(`/api/jobs/${id}`)).body as {
      id: string;
      state: string;
      providerSpecificId: string | null;
      providerStatus: string | null;
      results: Result[];
    };
  }

  const local = { providerName: 'LOCAL', deviceName: 'statevector-simulator' };

  it('GET /api/providers lists the six providers with their seeded devices', async () => {
    const items = (await http.get('/api/providers?limit=100')).body.items as {
      name: string;
      devices: { name: string; isLocal: boolean }[];
    }[];
    expect(items.map((p) => p.name).sort()).toEqual(['AWS', 'IBM', 'IONQ', 'LOCAL', 'QMWARE', 'RIGETTI']);
    const devices = (name: string) =>
      items
        .find((p) => p.name === name)!
        .devices.map((d) => d.name)
        .sort();
    expect(devices('AWS')).toEqual(['DM1', 'SV1', 'TN1', 'local_simulator']);
    expect(devices('QMWARE')).toEqual(['dev', 'dev-batch', 'dev-gpu']);
    expect(devices('IONQ')).toContain('simulator');
  });

  it.each([
    ['AWS', 'SV1'],
    ['IONQ', 'simulator'],
    ['QMWARE', 'dev'],
    ['QMWARE', 'dev-batch'],
  ])('%s/%s: submitted, followed and finished with the results our engine gives', async (providerName, deviceName) => {
    const { id, programIds } = await deploy(ASYMMETRIC, BELL_QASM2);
    const remote = await run(id, { providerName, deviceName });
    expect(remote.state).toBe('FINISHED');
    expect(remote.providerSpecificId).toEqual(expect.any(String));
    expect(remote.providerStatus).toBe('done');
    const mine = await run(id, local);
    const counts = (job: { results: Result[] }, programId: string) =>
      job.results.find((r) => r.resultType === 'COUNTS' && r.programId === programId)!;
    // the asymmetric program, its results matched to it (by index in QMware's batch): the same key as here
    expect(counts(remote, programIds[0]).data).toEqual({ '0x2 0x0': 200 });
    expect(counts(remote, programIds[0]).meta.registers).toEqual(counts(mine, programIds[0]).meta.registers);
    // Bell: only 00 and 11, all shots
    const bell = counts(remote, programIds[1]).data;
    expect(Object.keys(bell).every((k) => k === '0x0' || k === '0x3')).toBe(true);
    expect(Object.values(bell).reduce((a, b) => a + b, 0)).toBe(200);
  });

  it('SAMPLER on Braket and ESTIMATOR on IonQ give local formats and values', async () => {
    const { id } = await deploy(ASYMMETRIC);
    const sampler = await run(id, { providerName: 'AWS', deviceName: 'SV1' }, { type: 'SAMPLER' });
    expect(sampler.state).toBe('FINISHED');
    // all clbits: b = 0b10 above a = 0: 0b100
    expect(sampler.results.find((r) => r.resultType === 'QUASI_DIST')!.data).toEqual({ '0x4': 1 });
    const noMeasure = await deploy('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nx q[0];\nh q[1];\n');
    const estimator = await run(
      noMeasure.id,
      { providerName: 'IONQ', deviceName: 'simulator' },
      { type: 'ESTIMATOR', observables: [{ pauli: 'IZ' }, { pauli: 'XI', coefficient: 2 }] },
    );
    expect(estimator.state).toBe('FINISHED');
    const values = estimator.results.filter((r) => r.resultType === 'VALUE_AND_VARIANCE');
    expect(values.map((v) => v.meta.observable)).toEqual(['IZ', 'XI']);
    expect(values[0].data.value).toBeCloseTo(-1, 6); // Z on qubit 0 after X
    expect(values[1].data.value).toBeCloseTo(2, 6); // 2 X on qubit 1 after H
  });

  it('errorMitigation: IonQ applies debiasing (sent to IonQ, said in meta); other devices refuse it (422 naming the field)', async () => {
    const { id } = await deploy(BELL_QASM2);
    const debiased = await run(id, { providerName: 'IONQ', deviceName: 'simulator' }, { errorMitigation: 'debiasing' });
    expect(debiased.state).toBe('FINISHED');
    const sent = [...ionq.jobs.values()].find((j) => j.metadata?.qunest_job === debiased.id);
    expect(sent?.body?.settings).toEqual({ error_mitigation: { debiasing: true } });
    expect(debiased.results[0].meta.errorMitigation).toEqual({ method: 'debiasing', applied: true });
    // a seed is taken where it makes sampling reproducible (IonQ's simulator: noise.seed), refused elsewhere
    const seeded = await run(id, { providerName: 'IONQ', deviceName: 'simulator' }, { seed: 7 });
    expect(seeded.state).toBe('FINISHED');
    expect([...ionq.jobs.values()].find((j) => j.metadata?.qunest_job === seeded.id)?.noise).toEqual({
      model: 'ideal',
      seed: 7,
    });
    for (const device of [
      { providerName: 'AWS', deviceName: 'SV1' },
      { providerName: 'QMWARE', deviceName: 'dev' },
    ]) {
      const refused = await http.post('/api/jobs', { deploymentId: id, shots: 10, seed: 7, ...device });
      expect(refused.status).toBe(422);
      expect(refused.body.field).toBe('seed');
    }
    for (const [device, method] of [
      [{ providerName: 'AWS', deviceName: 'SV1' }, 'debiasing'],
      [{ providerName: 'IONQ', deviceName: 'simulator' }, 'zne'],
      [local, 'debiasing'],
    ] as const) {
      const refused = await http.post('/api/jobs', { deploymentId: id, shots: 10, errorMitigation: method, ...device });
      expect(refused.status).toBe(422);
      expect(refused.body.field).toBe('errorMitigation');
    }
  });

  it('QMware refuses an ESTIMATOR job at submission (422 naming the type), and cannot cancel (409 with its reason)', async () => {
    const { id } = await deploy(BELL_QASM2);
    const refused = await http.post('/api/jobs', {
      deploymentId: id,
      providerName: 'QMWARE',
      deviceName: 'dev',
      shots: 10,
      type: 'ESTIMATOR',
      observables: [{ pauli: 'ZZ' }],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.field).toBe('type');
    qmware.setAutoAdvance(false);
    try {
      const job = await http.post('/api/jobs', {
        deploymentId: id,
        providerName: 'QMWARE',
        deviceName: 'dev',
        shots: 10,
      });
      await waitUntil(
        async () => (await http.get(`/api/jobs/${job.body.id}`)).body.providerSpecificId,
        'the job to reach QMware',
        30_000,
      );
      const cancel = await http.post(`/api/jobs/${job.body.id}/cancel`);
      expect(cancel.status).toBe(409);
      expect(cancel.body.message).toContain('could not be canceled at QMWARE');
      qmware.advance(undefined, 'SUCCESS');
      await waitUntil(
        async () => (await http.get(`/api/jobs/${job.body.id}`)).body.state === 'FINISHED',
        'the job to finish',
        30_000,
      );
    } finally {
      qmware.setAutoAdvance(true);
    }
  });

  it('a Braket task that fails ends the job in ERROR with Braket’s reason', async () => {
    braket.setAutoAdvance(false);
    try {
      const { id } = await deploy(BELL_QASM2);
      const job = await http.post('/api/jobs', { deploymentId: id, providerName: 'AWS', deviceName: 'SV1', shots: 10 });
      const arn = await waitUntil(
        async () => (await http.get(`/api/jobs/${job.body.id}`)).body.providerSpecificId as string | null,
        'the task to be created',
        30_000,
      );
      braket.fail(arn, 'Device was retired during the task');
      await waitUntil(
        async () => (await http.get(`/api/jobs/${job.body.id}`)).body.state === 'ERROR',
        'the job to fail',
        30_000,
      );
      const error = (await http.get(`/api/jobs/${job.body.id}`)).body.results[0];
      expect(error.data.exceptionMessage).toContain('Device was retired during the task');
    } finally {
      braket.setAutoAdvance(true);
    }
  });

  it.each([
    ['IONQ', 'simulator'],
    ['QMWARE', 'dev'],
  ] as const)(
    '%s: the process that follows a job stops while the job waits there; the next one follows it to its end',
    async (providerName, deviceName) => {
      const fake = providerName === 'IONQ' ? ionq : qmware;
      const posts = () => fake.requests.filter((r) => r.method === 'POST' && /\/(jobs|requests)$/.test(r.path)).length;
      const postsBefore = posts();
      const db = await freshDatabase();
      fake.setAutoAdvance(false);
      let first: TestApp | undefined;
      let second: TestApp | undefined;
      try {
        // its first look 20 s away: it stops with no look in hand
        first = await startTestApp({
          workerConcurrency: 1,
          providers: { ...providers, pollMinSeconds: 20, pollMaxSeconds: 20 },
          databaseUrl: db.url,
        });
        const api = new Http(first.baseUrl);
        const dep = (
          await api.post('/api/deployments', {
            name: 'r',
            programs: [{ quantumCircuit: ASYMMETRIC, assemblerLanguage: 'QASM2' }],
          })
        ).body.id;
        const id = (await api.post('/api/jobs', { deploymentId: dep, providerName, deviceName, shots: 100 })).body.id;
        const remoteId = await waitUntil(
          async () => (await api.get(`/api/jobs/${id}`)).body.providerSpecificId as string | null,
          'the job to reach the provider',
          30_000,
        );
        await first.app.close();
        first = undefined;
        (fake.advance as (id?: string, to?: string) => void)(
          remoteId,
          providerName === 'IONQ' ? 'completed' : 'SUCCESS',
        );
        second = await startTestApp({ workerConcurrency: 1, providers, databaseUrl: db.url });
        const again = new Http(second.baseUrl);
        await waitUntil(
          async () => (await again.get(`/api/jobs/${id}`)).body.state === 'FINISHED',
          'the job to finish',
          60_000,
        );
        const counts = (await again.get(`/api/jobs/${id}`)).body.results.find((r: Result) => r.resultType === 'COUNTS');
        expect(counts.data).toEqual({ '0x2 0x0': 100 });
        // submitted once
        expect(posts() - postsBefore).toBe(1);
        expect([...fake.jobs.keys()]).toContain(remoteId);
      } finally {
        fake.setAutoAdvance(true);
        await first?.app.close();
        await second?.app.close();
        await db.drop();
      }
    },
    120_000,
  );
});
