import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/**
 * qunicorn-core's local devices of other providers run here, on our engine, with their provider's
 * languages: IBM/aer_simulator (Qiskit builder code), AWS/local_simulator (Braket builder code),
 * RIGETTI/Nq-qvm (Quil), each with the distribution of the same circuit on LOCAL. The programs are
 * those of qunicorn-core's tests/test_resources (deployment_request_dto_*_test_data.json, Apache-2.0).
 */
const QISKIT_BELL =
  'circuit = QuantumCircuit(2, 2);circuit.h(0);circuit.cx(0, 1);circuit.measure(0, 0);circuit.measure(1, 1)';
const BRAKET_BELL = 'Circuit().h(0).cnot(0, 1)';
const QUIL_BELL = 'DECLARE ro BIT[2]\nH 0\nCNOT 0 1\nMEASURE 0 ro[0]\nMEASURE 1 ro[1]\n';
const PYQUIL_BELL =
  'from pyquil import Program \n\nfrom pyquil.gates import * \n\nfrom pyquil.quilbase import Declare\n\ncircuit = Program(\nDeclare("ro", "BIT", 2),\nH(0),\nCNOT(0, 1),\nMEASURE(0, ("ro", 0)),\nMEASURE(1, ("ro", 1)),\n)';
const QASM2_GHZ3 =
  'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nmeasure q -> c;\n';

describe("qunicorn-core's local devices of IBM, AWS and RIGETTI", () => {
  let t: TestApp;
  let http: Http;
  const devices = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true });
    http = new Http(t.baseUrl);
    const all = (await http.get('/api/devices?limit=100')).body.items as {
      id: string;
      name: string;
      providerName: string;
    }[];
    for (const d of all) devices.set(`${d.providerName}/${d.name}`, d.id);
  });
  afterAll(() => t?.close());

  async function deploy(quantumCircuit: string, assemblerLanguage: string): Promise<string> {
    const res = await http.post('/api/deployments', {
      name: assemblerLanguage,
      programs: [{ quantumCircuit, assemblerLanguage }],
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function run(deploymentId: string, device: string): Promise<any> {
    const res = await http.post('/api/jobs', { deploymentId, deviceId: devices.get(device), shots: 2000, seed: 42 });
    expect(res.status).toBe(201);
    return waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${res.body.id}`)).body;
        return ['FINISHED', 'ERROR', 'CANCELED'].includes(job.state) ? job : undefined;
      },
      `job on ${device} to end`,
      30_000,
    );
  }

  const countsOf = (job: any): Record<string, number> => {
    expect(job.state).toBe('FINISHED');
    return job.results.find((r: any) => r.resultType === 'COUNTS').data;
  };

  it('runs each provider language on its local device with the distribution of the same circuit on LOCAL', async () => {
    const onLocal = countsOf(await run(await deploy(BELL_QASM2, 'QASM2'), 'LOCAL/statevector-simulator'));
    expect(Object.keys(onLocal).sort()).toEqual(['0x0', '0x3']);
    for (const [source, language, device] of [
      [QISKIT_BELL, 'QISKIT', 'IBM/aer_simulator'],
      [BRAKET_BELL, 'BRAKET', 'AWS/local_simulator'],
      [QUIL_BELL, 'QUIL', 'RIGETTI/9q-qvm'],
      [PYQUIL_BELL, 'QUIL', 'RIGETTI/9q-qvm'],
      [BELL_QASM2, 'QASM2', 'RIGETTI/2q-qvm'],
    ]) {
      // Same seed, same state: the same shots, whatever language the circuit was written in.
      expect({ device, counts: countsOf(await run(await deploy(source, language), device)) }).toEqual({
        device,
        counts: onLocal,
      });
    }
  });

  it("refuses a program in a language the device's provider does not take, naming it", async () => {
    const res = await http.post('/api/jobs', {
      deploymentId: await deploy(QUIL_BELL, 'QUIL'),
      deviceId: devices.get('IBM/aer_simulator'),
      shots: 10,
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('QUIL');
    expect(res.body.message).toContain('IBM/aer_simulator');
  });

  it('keeps the width of the QVM: a 3-qubit program on 2q-qvm ends in ERROR saying so', async () => {
    const job = await run(await deploy(QASM2_GHZ3, 'QASM2'), 'RIGETTI/2q-qvm');
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.data.exceptionMessage ?? JSON.stringify(error.data)).toMatch(
      /uses 3 qubits, more than the 2 of device RIGETTI\/2q-qvm/,
    );
    const ok = countsOf(await run(await deploy(QASM2_GHZ3, 'QASM2'), 'RIGETTI/5q-qvm'));
    expect(Object.keys(ok).sort()).toEqual(['0x0', '0x7']);
  });
});
