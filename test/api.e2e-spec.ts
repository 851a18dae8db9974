import { DEFAULT_NOISE_MODEL, NOISE_PRESETS } from '../src/quantum';
import { BELL_QASM2, Http } from './helpers/http';
import { startTestApp, type TestApp } from './helpers/app';

describe('REST API (foundation)', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
    const devices = await http.get('/api/devices?provider=LOCAL');
    deviceId = devices.body.items.find((d: { name: string }) => d.name === 'statevector-simulator').id;
  });
  afterAll(() => t?.close());

  const QISKIT_X = 'from qiskit import QuantumCircuit\nqc = QuantumCircuit(1, 1)\nqc.x(0)\nqc.measure(0, 0)';
  const bell = (name = 'bell') => ({ name, programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] });

  describe('health, providers, devices', () => {
    it('GET /api/health checks the database', async () => {
      const r = await http.get('/api/health');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });

    it("seeds LOCAL and qunicorn-core's local devices of IBM, AWS and RIGETTI, each with its provider's languages", async () => {
      const r = await http.get('/api/providers');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ total: 6, limit: 20, offset: 0 });
      const byName = Object.fromEntries(
        (r.body.items as { name: string; supportedLanguages: string[] }[]).map((p) => [p.name, p]),
      );
      expect(Object.keys(byName).sort()).toEqual(['AWS', 'IBM', 'IONQ', 'LOCAL', 'QMWARE', 'RIGETTI']);
      const local = byName.LOCAL as unknown as { id: string; devices: unknown[]; supportedLanguages: string[] };
      expect(local).toMatchObject({ name: 'LOCAL', withToken: false });
      expect([...local.supportedLanguages].sort()).toEqual(['BRAKET', 'IONQ', 'QASM2', 'QASM3', 'QISKIT', 'QUIL']);
      const localDevices = [...(local.devices as { name: string }[])].sort((a, b) => a.name.localeCompare(b.name));
      expect(localDevices).toEqual([
        expect.objectContaining({
          name: 'noisy-simulator',
          numQubits: 16,
          isSimulator: true,
          isLocal: true,
          status: 'online',
          noiseModel: DEFAULT_NOISE_MODEL,
        }),
        expect.objectContaining({
          name: 'noisy-superconducting',
          numQubits: 16,
          noiseModel: NOISE_PRESETS.superconducting,
        }),
        expect.objectContaining({ name: 'noisy-trapped-ion', numQubits: 16, noiseModel: NOISE_PRESETS.trappedIon }),
        expect.objectContaining({
          name: 'statevector-simulator',
          numQubits: 20,
          isSimulator: true,
          isLocal: true,
          status: 'online',
          noiseModel: null,
        }),
      ]);
      expect(byName.IBM).toMatchObject({
        withToken: true,
        supportedLanguages: ['QASM2', 'QASM3', 'QISKIT'],
        devices: [expect.objectContaining({ name: 'aer_simulator', numQubits: 20, isSimulator: true, isLocal: true })],
      });
      expect(byName.AWS).toMatchObject({
        withToken: false,
        supportedLanguages: ['QASM2', 'QASM3', 'BRAKET'],
        devices: expect.arrayContaining([
          expect.objectContaining({ name: 'local_simulator', isLocal: true, providerDeviceId: null }),
          // Braket's on-demand simulators, at AWS (seeded with their ARNs)
          expect.objectContaining({
            name: 'SV1',
            numQubits: 34,
            isLocal: false,
            providerDeviceId: 'arn:aws:braket:::device/quantum-simulator/amazon/sv1',
          }),
        ]),
      });
      const rigetti = byName.RIGETTI as unknown as {
        supportedLanguages: string[];
        devices: { name: string; numQubits: number }[];
      };
      expect(rigetti.supportedLanguages).toEqual(['QUIL', 'QASM2', 'QASM3']);
      expect(rigetti.devices.map((d) => [d.name, d.numQubits]).sort()).toEqual([
        ['2q-qvm', 2],
        ['5q-qvm', 5],
        ['9q-qvm', 9],
      ]);
      const one = await http.get(`/api/providers/${local.id}`);
      expect(one.body.name).toBe('LOCAL');
    });

    it('filters devices', async () => {
      expect(
        (await http.get('/api/devices?provider=LOCAL&isSimulator=true&isLocal=true&minQubits=20')).body.total,
      ).toBe(1);
      // wider than the local devices (20 here): Braket's SV1 and TN1, IonQ's simulator
      const wide = (await http.get('/api/devices?minQubits=21')).body.items as { name: string; isLocal: boolean }[];
      expect(wide.map((d) => d.name).sort()).toEqual(['SV1', 'TN1', 'simulator']);
      expect(wide.every((d) => !d.isLocal)).toBe(true);
      expect((await http.get('/api/devices?isLocal=true&minQubits=6')).body.total).toBe(7);
      expect((await http.get('/api/devices?isLocal=true&isSimulator=false')).body.total).toBe(0);
      expect((await http.get('/api/devices?provider=IBM')).body.items.map((d: { name: string }) => d.name)).toEqual([
        'aer_simulator',
      ]);
      expect((await http.get('/api/devices?provider=QMWARE')).body.total).toBe(3);
      const one = await http.get(`/api/devices/${deviceId}`);
      expect(one.body).toMatchObject({ id: deviceId, providerName: 'LOCAL' });
    });

    it('answers 400 naming the field for bad filters, 404 for unknown ids', async () => {
      const bad = await http.get('/api/devices?minQubits=lots&isLocal=maybe&limit=1000');
      expect(bad.status).toBe(400);
      expect([...new Set(bad.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([
        'isLocal',
        'limit',
        'minQubits',
      ]);
      expect((await http.get('/api/devices/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f')).status).toBe(404);
      expect((await http.get('/api/devices/not-a-uuid')).status).toBe(404);
      expect((await http.get('/api/providers/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f')).status).toBe(404);
    });

    it('lets the (open-mode) admin take a device offline and back', async () => {
      const off = await http.patch(`/api/devices/${deviceId}`, { status: 'offline' });
      expect(off.status).toBe(200);
      expect(off.body.status).toBe('offline');
      const bad = await http.patch(`/api/devices/${deviceId}`, { status: 'sleeping' });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('status must be one of the following values');
      expect((await http.patch(`/api/devices/${deviceId}`, { status: 'online' })).body.status).toBe('online');
    });
  });

  describe('deployments', () => {
    it('creates, reads, lists, replaces and deletes', async () => {
      const created = await http.post('/api/deployments', bell('crud'));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'crud',
        deployedBy: null,
        programs: [{ assemblerLanguage: 'QASM2', quantumCircuit: BELL_QASM2 }],
      });
      const id = created.body.id;
      expect((await http.get(`/api/deployments/${id}`)).body.id).toBe(id);

      const list = await http.get('/api/deployments?name=CRU');
      expect(list.body.total).toBe(1);
      expect(list.body.items[0].id).toBe(id);
      // lists carry summaries of the programs, the item their texts
      expect(list.body.items[0].programs).toEqual([
        { id: created.body.programs[0].id, position: 0, assemblerLanguage: 'QASM2', sizeBytes: BELL_QASM2.length },
      ]);

      const replaced = await http.put(`/api/deployments/${id}`, {
        name: 'crud2',
        programs: [
          { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
          { quantumCircuit: QISKIT_X, assemblerLanguage: 'QISKIT' },
        ],
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body.name).toBe('crud2');
      expect(replaced.body.programs.map((p: { assemblerLanguage: string }) => p.assemblerLanguage)).toEqual([
        'QASM2',
        'QISKIT',
      ]);

      expect((await http.delete(`/api/deployments/${id}`)).status).toBe(204);
      expect((await http.get(`/api/deployments/${id}`)).status).toBe(404);
      expect((await http.delete(`/api/deployments/${id}`)).status).toBe(404);
    });

    it('pages newest first', async () => {
      for (const n of ['p1', 'p2', 'p3']) await http.post('/api/deployments', bell(`page-${n}`));
      const r = await http.get('/api/deployments?name=page-&limit=2&offset=1');
      expect(r.body).toMatchObject({ total: 3, limit: 2, offset: 1 });
      expect(r.body.items.map((d: { name: string }) => d.name)).toEqual(['page-p2', 'page-p1']);
    });

    it('refuses bad input with 400 naming the field, and stores nothing', async () => {
      const before = (await http.get('/api/deployments')).body.total;
      const cases: [unknown, string][] = [
        [{ programs: [] }, 'name'],
        [{ name: 'x', programs: [] }, 'programs must contain at least 1 elements'],
        [
          { name: 'x', programs: [{ quantumCircuit: 'x', assemblerLanguage: 'COBOL' }] },
          'programs[0].assemblerLanguage',
        ],
        [{ name: 'x', programs: [{ assemblerLanguage: 'QASM2' }] }, 'programs[0].quantumCircuit'],
        [{ name: 42, programs: 'no' }, 'name must be a string'],
        [
          { name: 'x', programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }], extra: 1 },
          'property extra should not exist',
        ],
      ];
      for (const [body, needle] of cases) {
        const r = await http.post('/api/deployments', body);
        expect(r.status).toBe(400);
        expect(r.body.message).toContain(needle);
      }
      expect((await http.get('/api/deployments')).body.total).toBe(before);
    });

    it('refuses a bad OpenQASM program with 422, its index, line and column', async () => {
      const r = await http.post('/api/deployments', {
        name: 'broken',
        programs: [
          { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
          {
            quantumCircuit: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nfoo q[0];\n',
            assemblerLanguage: 'QASM2',
          },
        ],
      });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ statusCode: 422, programIndex: 1, line: 4, column: 1 });
      expect(r.body.message).toContain('foo');
      expect((await http.get('/api/deployments?name=broken')).body.total).toBe(0);
    });

    it('refuses a program that unrolls to more operations than MAX_CIRCUIT_OPERATIONS', async () => {
      const r = await http.post('/api/deployments', {
        name: 'huge',
        programs: [
          {
            quantumCircuit: 'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[20] q;\nfor int i in [0:999999] { h q; }',
            assemblerLanguage: 'QASM3',
          },
        ],
      });
      expect(r.status).toBe(422);
      expect(r.body.message).toContain('program too large');
      expect(r.body).toMatchObject({ programIndex: 0, line: 4 });
    });

    it('refuses the NUL character, which PostgreSQL cannot store, with 400 naming the field', async () => {
      const body = await http.post('/api/deployments', {
        name: 'a\u0000b',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      });
      expect(body.status).toBe(400);
      expect(body.body.errors).toEqual([
        { field: 'name', message: 'name must not contain the NUL character (\\u0000)' },
      ]);
      const query = await http.get('/api/deployments?name=%00');
      expect(query.status).toBe(400);
      expect(query.body.message).toContain('name must not contain the NUL character');
      expect((await http.get('/api/devices?provider=%00')).status).toBe(400);
      const nested = await http.post('/api/jobs', { deploymentId: 'x', shots: 1, observables: [{ pauli: 'Z\u0000' }] });
      expect(nested.body.message).toContain('observables[0].pauli must not contain the NUL character');
    });

    it('answers malformed JSON with 400 and an oversized body with 413', async () => {
      const bad = await http.post('/api/deployments', '{"name": ');
      expect(bad.status).toBe(400);
      expect(bad.body.statusCode).toBe(400);
      const huge = await http.post('/api/deployments', {
        name: 'big',
        programs: [{ quantumCircuit: 'x'.repeat(2 * 1024 * 1024), assemblerLanguage: 'QASM2' }],
      });
      expect(huge.status).toBe(413);
      expect(huge.body.message).toContain('larger than the limit');
    });
  });

  describe('jobs', () => {
    let deploymentId: string;
    beforeAll(async () => {
      deploymentId = (await http.post('/api/deployments', bell('jobs'))).body.id;
    });

    it('creates a job READY, by device id or by provider and device name', async () => {
      const a = await http.post('/api/jobs', { deploymentId, deviceId, shots: 100 });
      expect(a.status).toBe(201);
      expect(a.body).toMatchObject({
        state: 'READY',
        progress: 0,
        shots: 100,
        type: 'RUNNER',
        errorMitigation: 'none',
        deploymentId,
        deviceId,
        executedBy: null,
        finishedAt: null,
      });
      const b = await http.post('/api/jobs', {
        name: 'named',
        deploymentId,
        providerName: 'LOCAL',
        deviceName: 'statevector-simulator',
        shots: 10,
        type: 'SAMPLER',
        seed: 7,
      });
      expect(b.status).toBe(201);
      expect(b.body).toMatchObject({ name: 'named', type: 'SAMPLER', seed: 7, deviceId });
      const one = await http.get(`/api/jobs/${b.body.id}`);
      expect(one.body).toMatchObject({ id: b.body.id, results: [] });
      expect((await http.get(`/api/jobs/${b.body.id}/results`)).body).toEqual([]);
    });

    it('lists newest first with filters', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push((await http.post('/api/jobs', { deploymentId, deviceId, shots: 1 })).body.id);
      const r = await http.get(`/api/jobs?deploymentId=${deploymentId}&state=READY&limit=2`);
      expect(r.body.items.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
      expect(r.body.total).toBeGreaterThanOrEqual(3);
      expect((await http.get(`/api/jobs?deviceId=${deviceId}&state=FINISHED`)).body.total).toBe(0);
      const byDeployment = await http.get(`/api/deployments/${deploymentId}/jobs?limit=1`);
      expect(byDeployment.body.items[0].id).toBe(ids[2]);
    });

    it('refuses bad job input with a 4xx that names the field', async () => {
      const cases: [unknown, number, string][] = [
        [{ deploymentId, deviceId }, 400, 'shots'],
        [{ deploymentId, deviceId, shots: 0 }, 400, 'shots must not be less than 1'],
        [{ deploymentId, deviceId, shots: 'many' }, 400, 'shots must be an integer'],
        [{ deploymentId, deviceId, shots: 10_000_000 }, 422, 'shots must not be greater than 1000000'],
        [{ deploymentId, deviceId, shots: 1, type: 'ANNEALER' }, 400, 'type must be one of'],
        [{ deploymentId, deviceId, shots: 1, errorMitigation: 'magic' }, 400, 'errorMitigation'],
        // accepted fields that no device applies yet are refused, never stored and ignored
        [{ deploymentId, deviceId, shots: 1, errorMitigation: 'zne' }, 422, 'errorMitigation zne is refused'],
        [{ deploymentId, deviceId, shots: 1, cutToWidth: 0 }, 400, 'cutToWidth must not be less than 1'],
        [{ deploymentId, deviceId, shots: 1, cutToWidth: 1000 }, 422, 'cutToWidth 1000 is more than the'],
        [{ deploymentId, deviceId, shots: 1, type: 'ESTIMATOR' }, 400, 'observables'],
        [
          { deploymentId, deviceId, shots: 1, type: 'ESTIMATOR', observables: [{ pauli: 'ZQ' }] },
          400,
          'observables[0].pauli',
        ],
        [{ deploymentId: 'nope', deviceId, shots: 1 }, 400, 'deploymentId must be a UUID'],
        [{ deploymentId: '3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f', deviceId, shots: 1 }, 404, 'deployment 3c1a0b4e'],
        [{ deploymentId, deviceId: '3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f', shots: 1 }, 404, 'device 3c1a0b4e'],
        [{ deploymentId, providerName: 'IBM', deviceName: 'ibm_kyiv', shots: 1 }, 404, 'device IBM/ibm_kyiv'],
        [{ deploymentId, shots: 1 }, 400, 'deviceId'],
      ];
      for (const [body, status, needle] of cases) {
        const r = await http.post('/api/jobs', body);
        expect({ body, status: r.status }).toEqual({ body, status });
        expect(r.body.message).toContain(needle);
      }
    });

    it('refuses a job whose program the device cannot run', async () => {
      const qiskit = await http.post('/api/deployments', {
        name: 'qiskit',
        programs: [{ quantumCircuit: QISKIT_X, assemblerLanguage: 'QISKIT' }],
      });
      const aws = (await http.get('/api/devices?provider=AWS')).body.items[0].id;
      const r = await http.post('/api/jobs', { deploymentId: qiskit.body.id, deviceId: aws, shots: 1 });
      expect(r.status).toBe(422);
      expect(r.body.message).toContain('QISKIT');
      expect(r.body.message).toContain('accepts QASM2, QASM3, BRAKET');
    });

    it('cancels a READY job once (409 the second time)', async () => {
      const job = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 1 })).body;
      const c = await http.post(`/api/jobs/${job.id}/cancel`);
      expect(c.status).toBe(200);
      expect(c.body).toMatchObject({ state: 'CANCELED' });
      expect(c.body.finishedAt).not.toBeNull();
      const again = await http.post(`/api/jobs/${job.id}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('CANCELED');
    });

    it('reruns a job as a new job with the same settings', async () => {
      const job = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 33, seed: 5, name: 'again' })).body;
      const r = await http.post(`/api/jobs/${job.id}/rerun`);
      expect(r.status).toBe(201);
      expect(r.body.id).not.toBe(job.id);
      expect(r.body).toMatchObject({
        shots: 33,
        seed: 5,
        name: 'again',
        state: 'READY',
        deploymentId,
        deviceId,
        executedBy: null,
      });
      // with other shots and another device: the same programs and settings otherwise
      const aer = (await http.get('/api/devices?provider=IBM')).body.items[0].id;
      const changed = await http.post(`/api/jobs/${job.id}/rerun`, { shots: 12, deviceId: aer });
      expect(changed.status).toBe(201);
      expect(changed.body).toMatchObject({
        shots: 12,
        seed: 5,
        name: 'again',
        deviceId: aer,
        deploymentRevision: job.deploymentRevision,
      });
      // checked as a submission is
      for (const [body, status, field] of [
        [{ shots: 0 }, 400, 'shots'],
        [{ shots: 10_000_000 }, 422, 'shots'],
        [{ deviceId: 'nope' }, 400, 'deviceId'],
        [{ colour: 'red' }, 400, 'colour'],
      ] as const) {
        const bad = await http.post(`/api/jobs/${job.id}/rerun`, body);
        expect({ body, status: bad.status }).toEqual({ body, status });
        expect(JSON.stringify(bad.body)).toContain(field);
      }
    });

    it('deletes a job, and the jobs of a deployment', async () => {
      const job = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 1 })).body;
      expect((await http.delete(`/api/jobs/${job.id}`)).status).toBe(204);
      expect((await http.get(`/api/jobs/${job.id}`)).status).toBe(404);
      expect((await http.delete(`/api/jobs/${job.id}`)).status).toBe(404);

      const other = (await http.post('/api/deployments', bell('to-clear'))).body.id;
      for (let i = 0; i < 2; i++) await http.post('/api/jobs', { deploymentId: other, deviceId, shots: 1 });
      const d = await http.delete(`/api/deployments/${other}/jobs`);
      expect(d.body).toEqual({ deleted: 2, skipped: 0 });
      expect((await http.get(`/api/deployments/${other}/jobs`)).body.total).toBe(0);
      expect((await http.get(`/api/deployments/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f/jobs`)).status).toBe(404);
    });

    it('keeps jobs when their deployment is deleted (deploymentId becomes null)', async () => {
      const dep = (await http.post('/api/deployments', bell('short-lived'))).body.id;
      const job = (await http.post('/api/jobs', { deploymentId: dep, deviceId, shots: 1 })).body;
      await http.delete(`/api/deployments/${dep}`);
      const r = await http.get(`/api/jobs/${job.id}`);
      expect(r.status).toBe(200);
      expect(r.body.deploymentId).toBeNull();
      const rerun = await http.post(`/api/jobs/${job.id}/rerun`);
      expect(rerun.status).toBe(409);
    });

    it('answers unknown results with 404', async () => {
      const job = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 1 })).body;
      expect((await http.get(`/api/jobs/${job.id}/results/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f`)).status).toBe(404);
      expect((await http.get(`/api/jobs/3c1a0b4e-8a6f-4bb8-9d93-7a1b2c3d4e5f/results`)).status).toBe(404);
    });
  });

  it('serves the OpenAPI document', async () => {
    const r = await http.get('/api/docs/openapi.json');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/jobs',
        '/api/jobs/{id}/cancel',
        '/api/deployments/{id}/jobs',
        '/api/devices',
        '/api/health',
      ]),
    );
    expect(r.body.components.securitySchemes.bearer).toMatchObject({ scheme: 'bearer' });
  });
});
