import { EntityManager } from '@mikro-orm/postgresql';
import { Deployment } from '../src/deployments/deployment.entity';
import { QuantumProgram } from '../src/deployments/quantum-program.entity';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil, type Reply } from './helpers/http';

/**
 * Issue #15, items 1 and 3: programs that are small as text but unroll to millions of operations.
 * Uploads parse them off the event loop, in engine threads, within a time budget; jobs parse and
 * simulate them one at a time in engine threads, within an operations budget for the whole job.
 * Neither stalls the API nor takes the process down.
 */

/** The program: `gate g0 a { h a; } gate g1 a { g0 a; g0 a; } ... g20 q[0]; g19 q[0]; g18 q[0];` */
function nested(n: number): string {
  let src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\ngate g0 a { h a; }\n';
  for (let i = 1; i <= n; i++) src += `gate g${i} a { g${i - 1} a; g${i - 1} a; }\n`;
  return `${src}g${n} q[0]; g${n - 1} q[0]; g${n - 2} q[0];\nmeasure q -> c;\n`;
}
const copies = (n: number, source: string) =>
  Array.from({ length: n }, () => ({ assemblerLanguage: 'QASM2', quantumCircuit: source }));

const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);

describe('heavy programs (issue #15)', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({
      runWorkers: true,
      workerConcurrency: 2,
      maxCircuitOperations: 2_000_000,
      maxJobOperations: 300_000,
      uploadParseSeconds: 6,
      parseTimeoutSeconds: 10,
    });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  /**
   * Runs `work` while asking GET /api/health one request after the other; every answer must be a 200
   * that came within 3 s. The freezes this guards against lasted 1.5 s to 68 s per upload; 3 s leaves
   * room for a loaded CI machine (two test files at a time on two cores) without hiding one.
   * Answers the work's outcome and the health answers seen.
   */
  async function whilePollingHealth<T>(work: Promise<T>): Promise<{ outcome: T; polls: number }> {
    let done = false;
    const settled = work.finally(() => (done = true));
    const answers: { status: number; inTime: boolean }[] = [];
    for (let i = 0; i < 600 && !done; i++) {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 3000);
      const status = await fetch(`${t.baseUrl}/api/health`, { signal: ac.signal }).then(
        (r) => r.status,
        () => 0, // aborted: no answer within 3 s
      );
      clearTimeout(timer);
      answers.push({ status, inTime: status !== 0 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const outcome = await settled;
    expect(answers.filter((a) => a.status !== 200 || !a.inTime)).toEqual([]);
    return { outcome, polls: answers.length };
  }

  async function finished(id: string): Promise<any> {
    return waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${id}`)).body;
        return TERMINAL.has(job.state) ? job : undefined;
      },
      `job ${id} to end`,
      40_000,
    );
  }

  it("answers health while it refuses the issue's upload (24 copies, 1.8M operations each) over its parse budget", async () => {
    const upload = http.post('/api/deployments', { name: 'nested', programs: copies(24, nested(20)) });
    const { outcome, polls } = await whilePollingHealth<Reply>(upload);
    expect(polls).toBeGreaterThan(1);
    expect(outcome.status).toBe(422);
    expect(outcome.body).toMatchObject({
      statusCode: 422,
      programIndex: expect.any(Number),
      limit: 'UPLOAD_PARSE_SECONDS',
      reason: 'the programs of this upload took too long to parse: more than 6 s in all (UPLOAD_PARSE_SECONDS)',
    });
    expect(outcome.body.programIndex).toBeGreaterThanOrEqual(0);
    expect(outcome.body.programIndex).toBeLessThan(24);
    expect(outcome.body.message).toBe(`programs[${outcome.body.programIndex}]: ${outcome.body.reason}`);
    expect((await http.get('/api/deployments?name=nested')).body.total).toBe(0);
  });

  it('answers health while it accepts an upload of 24 nested programs within the limits', async () => {
    const upload = http.post('/api/deployments', { name: 'nested-small', programs: copies(24, nested(15)) });
    const { outcome } = await whilePollingHealth<Reply>(upload);
    expect(outcome.status).toBe(201);
    expect(outcome.body.programs).toHaveLength(24);
  });

  it('still answers a bad program with its index, line and column', async () => {
    const r = await http.post('/api/deployments', {
      name: 'bad',
      programs: [
        ...copies(2, nested(10)),
        { assemblerLanguage: 'QASM2', quantumCircuit: 'OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n' },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ statusCode: 422, programIndex: 2, line: 3, column: 1 });
    expect(r.body.message).toContain('foo');
  });

  it('ends a job of many heavy programs in ERROR naming MAX_JOB_OPERATIONS; the process lives on and runs a Bell job', async () => {
    // 24 copies of 57,345 operations each: the 6th goes past the job's 300,000
    const dep = await http.post('/api/deployments', { name: 'many', programs: copies(24, nested(15)) });
    expect(dep.status).toBe(201);
    const submitted = await http.post('/api/jobs', { deploymentId: dep.body.id, deviceId, shots: 100 });
    expect(submitted.status).toBe(201);
    const { outcome: job } = await whilePollingHealth(finished(submitted.body.id));
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.programId).toBe(dep.body.programs[5].id);
    expect(error.data.exceptionMessage).toBe(
      'program 5 would take the job past its limit of 300000 operations in all (MAX_JOB_OPERATIONS): the programs before it expand to 286725, and it to more than the 13275 left',
    );

    const bell = await http.post('/api/deployments', {
      name: 'bell',
      programs: [{ assemblerLanguage: 'QASM2', quantumCircuit: BELL_QASM2 }],
    });
    const after = await finished(
      (await http.post('/api/jobs', { deploymentId: bell.body.id, deviceId, shots: 1000 })).body.id,
    );
    expect(after.state).toBe('FINISHED');
    const counts = after.results.find((r: any) => r.resultType === 'COUNTS');
    for (const key of Object.keys(counts.data)) expect(['0x0', '0x3']).toContain(key);
    expect(Object.values(counts.data as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it("ends the issue's job (24 stored copies of the 1.8M-operation program) in ERROR instead of running out of memory", async () => {
    // Stored before uploads were bounded (or behind the API's back): the worker is the last line.
    const em = t.get<EntityManager>(EntityManager).fork();
    const deployment = em.create(Deployment, { name: 'stored', deployedBy: null, deployedAt: new Date() });
    for (let position = 0; position < 24; position++) {
      deployment.programs.add(
        em.create(QuantumProgram, { deployment, position, quantumCircuit: nested(20), assemblerLanguage: 'QASM2' }),
      );
    }
    await em.flush();
    const submitted = await http.post('/api/jobs', { deploymentId: deployment.id, deviceId, shots: 100 });
    expect(submitted.status).toBe(201);
    const { outcome: job } = await whilePollingHealth(finished(submitted.body.id));
    expect(job.state).toBe('ERROR');
    const error = job.results.find((r: any) => r.resultType === 'ERROR');
    expect(error.data.exceptionMessage).toMatch(
      /^program 0 would take the job past its limit of 300000 operations in all \(MAX_JOB_OPERATIONS\)/,
    );
    expect((await http.get('/api/health')).status).toBe(200);
  });
});
