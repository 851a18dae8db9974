import { startTestApp, type TestApp } from './helpers/app';
import { Http, waitUntil } from './helpers/http';

/**
 * Circuit cutting through HTTP (`cutToWidth`): jobs on LOCAL/statevector-simulator whose programs
 * are cut to fragments, run in the engine's threads and recombined, against the same jobs uncut;
 * and the refusals (too many sub-experiments, a bad width, a device that cannot cut).
 */

const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);

const GHZ8 = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[8];
creg c[8];
h q[0];
${Array.from({ length: 7 }, (_, i) => `cx q[${i}],q[${i + 1}];`).join('\n')}
measure q -> c;
`;

/**
 * 10 qubits in blocks [0-3], [4-7], [8-9] of rotations and CX, two CX bridging the blocks; four
 * qubits measured (16 outcomes, so that two runs of 20000 shots compare closely). Angles fixed.
 */
function blocks10(): string {
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', 'qreg q[10];', 'creg c[4];'];
  let x = 7;
  const angle = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return ((x / 2147483648) * Math.PI).toFixed(6);
  };
  const blocks = [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ];
  for (let layer = 0; layer < 3; layer++) {
    for (let q = 0; q < 10; q++) lines.push(`u3(${angle()},${angle()},${angle()}) q[${q}];`);
    for (const b of blocks) for (let i = 0; i + 1 < b.length; i++) lines.push(`cx q[${b[i]}],q[${b[i + 1]}];`);
    if (layer === 1) lines.push('cx q[3],q[4];', 'cx q[7],q[8];');
  }
  lines.push('measure q[0] -> c[0];', 'measure q[3] -> c[1];', 'measure q[5] -> c[2];', 'measure q[9] -> c[3];');
  return lines.join('\n');
}

/**
 * 12 qubits: pairs (i, i+6) entangled, then a 5-controlled X on qubits 0-5 and one on 6-11. Cut to
 * width 6, the fragment of each 6-qubit gate must take its six wires from the pairs' fragments:
 * 4^6 sub-experiments each, more than the limit.
 */
const WIDE_GATES = `OPENQASM 3.0;
include "stdgates.inc";
qubit[12] q;
bit[12] c;
${Array.from({ length: 6 }, (_, i) => `h q[${i}];\ncx q[${i}], q[${i + 6}];`).join('\n')}
ctrl(5) @ x q[0], q[1], q[2], q[3], q[4], q[5];
ctrl(5) @ x q[6], q[7], q[8], q[9], q[10], q[11];
c = measure q;
`;

/** 12 qubits, CZ between qubits 5 apart around a ring, three times over: no cheap cut to width 3. */
function ring12(): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[12];\ncreg c[12];\n';
  for (let l = 0; l < 3; l++) for (let a = 0; a < 12; a++) src += `h q[${a}];\ncz q[${a}],q[${(a + 5) % 12}];\n`;
  return src + 'measure q -> c;\n';
}

const probabilities = (job: any): Record<string, number> =>
  job.results.find((r: any) => r.resultType === 'PROBABILITIES').data;

function tvd(a: Record<string, number>, b: Record<string, number>): number {
  let d = 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) d += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
  return d / 2;
}

describe('circuit cutting (cutToWidth)', () => {
  let t: TestApp;
  let http: Http;
  let devices: { id: string; name: string; isLocal: boolean; numQubits: number; provider?: { name: string } }[];
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, workerConcurrency: 2 });
    http = new Http(t.baseUrl);
    devices = (await http.get('/api/devices?limit=100')).body.items;
    deviceId = devices.find((d) => d.name === 'statevector-simulator')!.id;
  });
  afterAll(() => t?.close());

  async function deploy(source: string): Promise<string> {
    const res = await http.post('/api/deployments', {
      name: 'cutting',
      programs: [{ quantumCircuit: source, assemblerLanguage: 'QASM2' }],
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function run(body: Record<string, unknown>): Promise<any> {
    const res = await http.post('/api/jobs', { deviceId, ...body });
    expect(res.status).toBe(201);
    return waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${res.body.id}`)).body;
        return TERMINAL.has(job.state) ? job : undefined;
      },
      `job ${res.body.id} to end`,
      60_000,
    );
  }

  it('GHZ-8 cut to width 4: FINISHED, only 0x0 and 0xff, close to the uncut job, meta.cut says 2 cuts, 3 fragments, 19 sub-experiments', async () => {
    const deploymentId = await deploy(GHZ8);
    const [cut, uncut] = await Promise.all([
      run({ deploymentId, shots: 4000, seed: 11, cutToWidth: 4 }),
      run({ deploymentId, shots: 4000, seed: 12 }),
    ]);
    expect(cut.state).toBe('FINISHED');
    expect(cut.cutToWidth).toBe(4);
    const counts = cut.results.find((r: any) => r.resultType === 'COUNTS');
    expect(Object.keys(counts.data).sort()).toEqual(['0x0', '0xff']);
    expect(counts.data['0x0'] + counts.data['0xff']).toBe(4000);
    expect(tvd(probabilities(cut), probabilities(uncut))).toBeLessThan(0.05);
    expect(counts.meta.cut).toMatchObject({
      needed: true,
      width: 4,
      cuts: 2,
      fragments: 3,
      subexperiments: 19,
      method: 'wire-cuts',
      fragmentResults: 'exact',
    });
    for (const w of counts.meta.cut.fragmentWidths) expect(w).toBeLessThanOrEqual(4);
  });

  it('reruns a cut job as a cut job (its cut planned again, on the original programs): FINISHED with the same meta.cut', async () => {
    const deploymentId = await deploy(GHZ8);
    const first = await run({ deploymentId, shots: 500, seed: 3, cutToWidth: 4 });
    const again = await http.post(`/api/jobs/${first.id}/rerun`, { shots: 600 });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ cutToWidth: 4, shots: 600 });
    const job = await waitUntil(
      async () => {
        const j = (await http.get(`/api/jobs/${again.body.id}`)).body;
        return TERMINAL.has(j.state) ? j : undefined;
      },
      'the rerun to end',
      60_000,
    );
    expect(job.state).toBe('FINISHED');
    const counts = job.results.find((r: any) => r.resultType === 'COUNTS');
    expect(counts.data['0x0'] + counts.data['0xff']).toBe(600);
    expect(counts.meta.cut).toMatchObject({ needed: true, width: 4, cuts: 2, fragments: 3, subexperiments: 19 });
  });

  it('a 10-qubit circuit cut to width 5: its distribution within TVD 0.05 of the uncut job (20000 shots each)', async () => {
    const deploymentId = await deploy(blocks10());
    const [cut, uncut] = await Promise.all([
      run({ deploymentId, shots: 20_000, seed: 3, cutToWidth: 5 }),
      run({ deploymentId, shots: 20_000, seed: 4 }),
    ]);
    expect(cut.state).toBe('FINISHED');
    expect(uncut.state).toBe('FINISHED');
    expect(tvd(probabilities(cut), probabilities(uncut))).toBeLessThan(0.05);
    const meta = cut.results[0].meta.cut;
    expect(meta.needed).toBe(true);
    expect(meta.cuts).toBeGreaterThan(0);
    expect(meta.subexperiments).toBeGreaterThan(meta.fragments);
  });

  it('ESTIMATOR cut to width 4: the same expectation values as uncut (exact on the statevector)', async () => {
    const deploymentId = await deploy(GHZ8);
    const observables = [{ pauli: 'ZZZZZZZZ' }, { pauli: 'XXXXXXXX', coefficient: 0.5 }, { pauli: 'IIIIIIZZ' }];
    const [cut, uncut] = await Promise.all([
      run({ deploymentId, shots: 100, type: 'ESTIMATOR', observables, cutToWidth: 4 }),
      run({ deploymentId, shots: 100, type: 'ESTIMATOR', observables }),
    ]);
    expect(cut.state).toBe('FINISHED');
    const values = (job: any) => job.results.map((r: any) => r.data.value);
    expect(values(uncut)).toHaveLength(3);
    values(cut).forEach((v: number, i: number) => expect(Math.abs(v - values(uncut)[i])).toBeLessThan(1e-9));
    expect(values(cut)[0]).toBeCloseTo(1, 9);
    expect(values(cut)[1]).toBeCloseTo(0.5, 9);
    expect(cut.results[0].meta.cut).toMatchObject({ needed: true, cuts: 2 });
  });

  it('a program no wider than cutToWidth runs uncut and says so', async () => {
    const deploymentId = await deploy(GHZ8);
    const job = await run({ deploymentId, shots: 100, cutToWidth: 8 });
    expect(job.state).toBe('FINISHED');
    expect(job.results[0].meta.cut).toMatchObject({ needed: false, width: 8 });
  });

  it('refuses a cut that needs more sub-experiments than the limit (or too large a recombination) with 422 naming cutToWidth', async () => {
    const wide = await http.post('/api/deployments', {
      name: 'wide gates',
      programs: [{ quantumCircuit: WIDE_GATES, assemblerLanguage: 'QASM3' }],
    });
    expect(wide.status).toBe(201);
    const res = await http.post('/api/jobs', { deploymentId: wide.body.id, deviceId, shots: 100, cutToWidth: 6 });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('cutToWidth');
    expect(res.body.reason).toBe('too-many-subexperiments');
    expect(res.body.message).toContain('sub-experiments');
    expect(res.body.subexperiments).toBeGreaterThan(4096);
    expect(res.body.maxSubexperiments).toBe(4096);

    const ring = await http.post('/api/jobs', {
      deploymentId: await deploy(ring12()),
      deviceId,
      shots: 100,
      cutToWidth: 3,
    });
    expect(ring.status).toBe(422);
    expect(ring.body.field).toBe('cutToWidth');
    expect(ring.body.reason).toBe('recombination-too-large');
  });

  it('ESTIMATOR on a 22-qubit GHZ (wider than the 20-qubit device) cut to 11: Z on one qubit runs, Z on all 22 is refused (422: more than 20 measured qubits)', async () => {
    const ghz22 = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[22];\nh q[0];\n${Array.from({ length: 21 }, (_, i) => `cx q[${i}],q[${i + 1}];`).join('\n')}\n`;
    const deploymentId = await deploy(ghz22);
    const one = await run({
      deploymentId,
      shots: 10,
      type: 'ESTIMATOR',
      observables: [{ pauli: 'I'.repeat(21) + 'Z' }, { pauli: 'ZZ' + 'I'.repeat(20) }],
      cutToWidth: 11,
    });
    expect(one.state).toBe('FINISHED');
    expect(one.results.map((r: any) => r.data.value)).toEqual([0, 1].map((v) => expect.closeTo(v, 9)));
    const all = await http.post('/api/jobs', {
      deploymentId,
      deviceId,
      shots: 10,
      type: 'ESTIMATOR',
      observables: [{ pauli: 'Z'.repeat(22) }],
      cutToWidth: 11,
    });
    expect(all.status).toBe(422);
    expect(all.body.field).toBe('cutToWidth');
    expect(all.body.reason).toBe('too-many-measured-qubits');
  });

  it('refuses a width below 1 (400), above the device (422), a gate wider than the width (422), and devices that cannot cut (422)', async () => {
    const deploymentId = await deploy(GHZ8);
    for (const bad of [0, -1, 2.5]) {
      const res = await http.post('/api/jobs', { deploymentId, deviceId, shots: 1, cutToWidth: bad });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain('cutToWidth');
    }
    const local = devices.find((d) => d.name === 'statevector-simulator')!;
    const wide = await http.post('/api/jobs', { deploymentId, deviceId, shots: 1, cutToWidth: local.numQubits + 1 });
    expect(wide.status).toBe(422);
    expect(wide.body.field).toBe('cutToWidth');

    const ccx = await deploy(
      'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[4];\ncreg c[4];\nccx q[0],q[1],q[2];\ncx q[2],q[3];\nmeasure q -> c;\n',
    );
    const tooWide = await http.post('/api/jobs', { deploymentId: ccx, deviceId, shots: 1, cutToWidth: 2 });
    expect(tooWide.status).toBe(422);
    expect(tooWide.body.field).toBe('cutToWidth');
    expect(tooWide.body.reason).toBe('gate-wider-than-width');

    const remote = devices.find((d) => !d.isLocal);
    expect(remote).toBeDefined();
    const res = await http.post('/api/jobs', { deploymentId, deviceId: remote!.id, shots: 1, cutToWidth: 4 });
    expect(res.status).toBe(422);
    expect(res.body.field).toBe('cutToWidth');
    expect(res.body.message).toContain('remote provider');

    const noisy = devices.find((d) => d.name === 'noisy-simulator');
    expect(noisy).toBeDefined();
    const onNoisy = await http.post('/api/jobs', { deploymentId, deviceId: noisy!.id, shots: 1, cutToWidth: 4 });
    expect(onNoisy.status).toBe(422);
    expect(onNoisy.body.field).toBe('cutToWidth');
  });
});
