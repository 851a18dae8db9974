import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { QuantumProgram } from '../src/deployments/quantum-program.entity';
import { DeploymentsService, UNUSED_PROGRAMS_SWEEP_MS } from '../src/deployments/deployments.service';
import { PeriodicTasks } from '../src/common/periodic-tasks';
import { MIGRATIONS } from '../src/database/migrations';
import { ormConfig } from '../src/model';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { Http, waitUntil } from './helpers/http';

/**
 * Issue #15 item 7: a job runs the programs it was submitted with and keeps its results whatever
 * happens to the deployment afterwards (docs/decisions/0006-immutable-programs.md). Through HTTP,
 * with real workers.
 */

const QUBITS = 20;
/** All ones on every qubit, as the counts name it (hex). */
const ALL_ONES = '0x' + ((1 << QUBITS) - 1).toString(16);

/**
 * An OpenQASM 3 program that keeps the simulator busy for seconds and still has one certain outcome:
 * `layers` layers of h, cx, cx, h (which undo each other) over a chain of qubits, then x on all of
 * them: every shot measures all ones.
 */
function longAllOnes(layers: number): string {
  return `OPENQASM 3.0;
include "stdgates.inc";
qubit[${QUBITS}] q;
bit[${QUBITS}] c;
for int i in [0:${layers - 1}] {
  for int k in [0:${QUBITS - 2}] {
    h q[k];
    cx q[k], q[k + 1];
    cx q[k], q[k + 1];
    h q[k];
  }
}
x q;
c = measure q;
`;
}

/** A short program that measures all zeros. */
const ZEROS_QASM2 = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${QUBITS}];\ncreg c[${QUBITS}];\nmeasure q -> c;`;
/** A short program that measures all ones. */
const ONES_QASM2 = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[${QUBITS}];\ncreg c[${QUBITS}];\nx q;\nmeasure q -> c;`;

const LONG = { quantumCircuit: longAllOnes(150), assemblerLanguage: 'QASM3' };
const ZEROS = { quantumCircuit: ZEROS_QASM2, assemblerLanguage: 'QASM2' };
const ONES = { quantumCircuit: ONES_QASM2, assemblerLanguage: 'QASM2' };
const TERMINAL = new Set(['FINISHED', 'ERROR', 'CANCELED']);

describe('immutable programs: a job keeps running and keeping what it was submitted with', () => {
  let api: TestApp;
  let workers: TestApp | undefined;
  let http: Http;
  let em: EntityManager;
  let deviceId: string;

  beforeAll(async () => {
    // The API process runs no workers: tests start a worker process on the same database when they want jobs to run.
    api = await startTestApp({ runWorkers: false });
    http = new Http(api.baseUrl);
    em = api.get<EntityManager>(EntityManager).fork();
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });

  afterAll(async () => {
    await workers?.close();
    await api?.close();
  });

  async function startWorkers(): Promise<void> {
    workers ??= await startTestApp({ runWorkers: true, workerConcurrency: 2, databaseUrl: api.config.databaseUrl });
  }

  async function deploy(name: string, programs: object[]): Promise<{ id: string; programIds: string[] }> {
    const r = await http.post('/api/deployments', { name, programs });
    expect(r.status).toBe(201);
    expect(r.body.revision).toBe(1);
    return { id: r.body.id, programIds: r.body.programs.map((p: { id: string }) => p.id) };
  }

  async function submit(deploymentId: string): Promise<any> {
    const r = await http.post('/api/jobs', { deploymentId, deviceId, shots: 64, seed: 7 });
    expect(r.status).toBe(201);
    return r.body;
  }

  async function ended(id: string): Promise<any> {
    return waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${id}`)).body;
        return TERMINAL.has(job.state) ? job : undefined;
      },
      `job ${id} to end`,
      180_000,
    );
  }

  async function runningWithProgress(id: string): Promise<void> {
    await waitUntil(
      async () => {
        const job = (await http.get(`/api/jobs/${id}`)).body;
        expect(TERMINAL.has(job.state)).toBe(false);
        return job.state === 'RUNNING' && job.progress > 0;
      },
      `job ${id} to run with some progress`,
      120_000,
    );
  }

  /** The job's COUNTS, each of them of `programId`. */
  function countsOf(job: any, programId: string): Record<string, number> {
    expect(job.state).toBe('FINISHED');
    expect(job.results.map((r: { resultType: string }) => r.resultType).sort()).toEqual(['COUNTS', 'PROBABILITIES']);
    for (const r of job.results) expect(r.programId).toBe(programId);
    return job.results.find((r: { resultType: string }) => r.resultType === 'COUNTS').data;
  }

  const programRow = (id: string) => em.fork().findOne(QuantumProgram, id);

  it('runs the submitted revision when the deployment is replaced before the job starts (no worker yet)', async () => {
    const dep = await deploy('replaced-before-start', [ONES]);
    const job = await submit(dep.id);
    expect(job).toMatchObject({ state: 'READY', deploymentId: dep.id, deploymentRevision: 1 });

    const put = await http.put(`/api/deployments/${dep.id}`, { name: 'replaced-before-start', programs: [ZEROS] });
    expect(put.status).toBe(200);
    expect(put.body.revision).toBe(2);
    expect(put.body.programs).toHaveLength(1);
    expect(put.body.programs[0].id).not.toBe(dep.programIds[0]);
    expect(put.body.programs[0].quantumCircuit).toBe(ZEROS_QASM2);
    // GET answers the current programs only; the job still READY, on revision 1
    const current = (await http.get(`/api/deployments/${dep.id}`)).body;
    expect(current).toMatchObject({
      revision: 2,
      programs: [{ id: put.body.programs[0].id, quantumCircuit: ZEROS_QASM2 }],
    });
    expect((await http.get(`/api/jobs/${job.id}`)).body).toMatchObject({ state: 'READY', deploymentRevision: 1 });

    await startWorkers();
    const done = await ended(job.id);
    expect(done.deploymentRevision).toBe(1);
    expect(countsOf(done, dep.programIds[0])).toEqual({ [ALL_ONES]: 64 });
    // a job submitted now runs revision 2
    const next = await ended((await submit(dep.id)).id);
    expect(next.deploymentRevision).toBe(2);
    expect(countsOf(next, put.body.programs[0].id)).toEqual({ ['0x0']: 64 });
  }, 240_000);

  it('finishes a running job with the results of its original program when the deployment is replaced meanwhile', async () => {
    await startWorkers();
    const dep = await deploy('replaced-while-running', [LONG]);
    const job = await submit(dep.id);
    await runningWithProgress(job.id);

    const put = await http.put(`/api/deployments/${dep.id}`, { name: 'replaced-while-running', programs: [ZEROS] });
    expect(put.status).toBe(200);
    expect(put.body.revision).toBe(2);
    // the replacement happened while the job ran
    expect((await http.get(`/api/jobs/${job.id}`)).body.state).toBe('RUNNING');
    // the list's summaries and the item show the new program only
    const listed = (await http.get('/api/deployments?name=replaced-while-running')).body.items[0];
    expect(listed).toMatchObject({ revision: 2, programs: [{ id: put.body.programs[0].id }] });

    const done = await ended(job.id);
    expect(done).toMatchObject({ state: 'FINISHED', deploymentId: dep.id, deploymentRevision: 1 });
    expect(countsOf(done, dep.programIds[0])).toEqual({ [ALL_ONES]: 64 });
    const original = await programRow(dep.programIds[0]);
    expect(original).toMatchObject({ quantumCircuit: LONG.quantumCircuit, revision: 1, deployment: null });
  }, 300_000);

  it('finishes a running job and keeps its results when its deployment is deleted meanwhile', async () => {
    await startWorkers();
    const dep = await deploy('deleted-while-running', [LONG]);
    const job = await submit(dep.id);
    await runningWithProgress(job.id);

    expect((await http.delete(`/api/deployments/${dep.id}`)).status).toBe(204);
    expect((await http.get(`/api/deployments/${dep.id}`)).status).toBe(404);
    // the deletion happened while the job ran
    expect((await http.get(`/api/jobs/${job.id}`)).body).toMatchObject({ state: 'RUNNING', deploymentId: null });

    const done = await ended(job.id);
    expect(done).toMatchObject({ state: 'FINISHED', deploymentId: null, deploymentRevision: 1 });
    expect(countsOf(done, dep.programIds[0])).toEqual({ [ALL_ONES]: 64 });
    const one = await http.get(`/api/jobs/${job.id}/results/${done.results[0].id}`);
    expect(one.body.programId).toBe(dep.programIds[0]);
    expect(await programRow(dep.programIds[0])).toMatchObject({ quantumCircuit: LONG.quantumCircuit });
    // a deleted deployment is not run again
    expect((await http.post(`/api/jobs/${job.id}/rerun`)).status).toBe(409);
  }, 300_000);

  it("reruns the original's revision and says so; a new submission runs the current one", async () => {
    await startWorkers();
    const dep = await deploy('rerun-revision', [ONES]);
    const first = await ended((await submit(dep.id)).id);
    expect(countsOf(first, dep.programIds[0])).toEqual({ [ALL_ONES]: 64 });

    const put = await http.put(`/api/deployments/${dep.id}`, { name: 'rerun-revision', programs: [ZEROS] });
    expect(put.body.revision).toBe(2);

    const rerun = await http.post(`/api/jobs/${first.id}/rerun`);
    expect(rerun.status).toBe(201);
    expect(rerun.body).toMatchObject({ deploymentId: dep.id, deploymentRevision: 1, shots: 64, seed: 7 });
    const again = await ended(rerun.body.id);
    expect(again.deploymentRevision).toBe(1);
    expect(countsOf(again, dep.programIds[0])).toEqual({ [ALL_ONES]: 64 });

    const fresh = await submit(dep.id);
    expect(fresh.deploymentRevision).toBe(2);
    expect(countsOf(await ended(fresh.id), put.body.programs[0].id)).toEqual({ ['0x0']: 64 });
    // the job list answers the revision too
    const listed = (await http.get(`/api/jobs?deploymentId=${dep.id}&limit=100`)).body.items;
    expect(listed.map((j: { id: string; deploymentRevision: number }) => [j.id, j.deploymentRevision]).sort()).toEqual(
      [
        [first.id, 1],
        [rerun.body.id, 1],
        [fresh.id, 2],
      ].sort(),
    );
  }, 240_000);

  it('deletes replaced programs no job refers to, and keeps those a job runs until it is gone', async () => {
    const dep = await deploy('cleanup', [ONES, ZEROS]);
    // no job: a PUT deletes the replaced rows at once
    const second = (await http.put(`/api/deployments/${dep.id}`, { name: 'cleanup', programs: [ONES] })).body;
    for (const id of dep.programIds) expect(await programRow(id)).toBeNull();
    // a job on revision 2 keeps its program through revision 3 and the deletion of the deployment
    const job = await submit(dep.id);
    expect(job.deploymentRevision).toBe(2);
    const kept = second.programs[0].id;
    const third = (await http.put(`/api/deployments/${dep.id}`, { name: 'cleanup', programs: [ZEROS] })).body;
    expect(third.revision).toBe(3);
    expect(await programRow(kept)).not.toBeNull();
    expect((await http.delete(`/api/deployments/${dep.id}`)).status).toBe(204);
    expect(await programRow(third.programs[0].id)).toBeNull();
    expect(await programRow(kept)).not.toBeNull();
    const cleanup = api.get<DeploymentsService>(DeploymentsService);
    await cleanup.deleteUnusedPrograms();
    expect(await programRow(kept)).not.toBeNull();
    // once the job is deleted, nothing refers to the program any more: the cleanup, which every
    // process runs periodically, deletes it
    expect(api.get<PeriodicTasks>(PeriodicTasks).list()).toContainEqual({
      name: 'unused programs',
      everyMs: UNUSED_PROGRAMS_SWEEP_MS,
    });
    expect((await http.delete(`/api/jobs/${job.id}`)).status).toBe(204);
    expect(await cleanup.deleteUnusedPrograms()).toBeGreaterThanOrEqual(1);
    expect(await programRow(kept)).toBeNull();
  }, 120_000);
});

describe('the migration to immutable programs', () => {
  it('gives existing deployments revision 1 and existing jobs the programs of their deployment, and runs them', async () => {
    const db = await freshDatabase();
    let t: TestApp | undefined;
    try {
      // a database as it was before the migration, with a deployment, a job and its result
      const mine = MIGRATIONS.findIndex((m) => m.name === 'Migration20261202100000ImmutablePrograms');
      expect(mine).toBeGreaterThan(0);
      const orm = await MikroORM.init({ ...ormConfig({ url: db.url }), logger: () => undefined });
      try {
        await orm.migrator.up({ to: MIGRATIONS[mine - 1].name });
        const [provider, device, deployment, program, finished, waiting] = Array.from({ length: 6 }, () =>
          randomUUID(),
        );
        const sql = orm.em.getConnection();
        await sql.execute(
          `insert into provider (id, name, supported_languages) values (?, 'LOCAL', '{QASM2,QASM3}');
           insert into device (id, name, num_qubits, is_simulator, is_local, provider_id) values (?, 'statevector-simulator', 20, true, true, ?);
           insert into deployment (id, name, deployed_at) values (?, 'old', now());
           insert into quantum_program (id, deployment_id, position, quantum_circuit, assembler_language) values (?, ?, 0, ?, 'QASM2');
           insert into job (id, executed_on_id, deployment_id, state, shots, created_at, finished_at, progress) values (?, ?, ?, 'FINISHED', 64, now(), now(), 100);
           insert into result (id, job_id, program_id, result_type, data, meta, created_at) values (?, ?, ?, 'COUNTS', ?, '{}', now());
           insert into job (id, executed_on_id, deployment_id, shots, created_at) values (?, ?, ?, 64, now());`,
          [
            provider,
            device,
            provider,
            deployment,
            program,
            deployment,
            ONES_QASM2,
            finished,
            device,
            deployment,
            randomUUID(),
            finished,
            program,
            JSON.stringify({ [ALL_ONES]: 64 }),
            waiting,
            device,
            deployment,
          ],
        );
        await orm.migrator.up();
        // the migration makes what the entities describe (job_program, the revisions, the program's deployment link)
        const drift = (await orm.schema.getUpdateSchemaSQL({ wrap: false }))
          .split('\n')
          .filter((line) => /job_program|revision|quantum_program_deployment_id_foreign/.test(line));
        expect(drift).toEqual([]);
        expect(await sql.execute('select job_id, program_id from job_program order by job_id', [], 'all')).toEqual(
          [
            { job_id: finished, program_id: program },
            { job_id: waiting, program_id: program },
          ].sort((a, b) => a.job_id.localeCompare(b.job_id)),
        );
        t = await startTestApp({ runWorkers: false, databaseUrl: db.url });
        const http = new Http(t.baseUrl);
        expect((await http.get(`/api/deployments/${deployment}`)).body).toMatchObject({
          revision: 1,
          programs: [{ id: program }],
        });
        expect((await http.get(`/api/jobs/${finished}`)).body).toMatchObject({
          deploymentRevision: 1,
          results: [{ programId: program }],
        });
        // replaced now: the old program stays for the jobs, and a rerun of the old job runs it again
        const put = await http.put(`/api/deployments/${deployment}`, { name: 'old', programs: [ZEROS] });
        expect(put.body.revision).toBe(2);
        expect(await t.get<EntityManager>(EntityManager).fork().findOne(QuantumProgram, program)).not.toBeNull();
        await t.close();
        t = await startTestApp({ runWorkers: true, databaseUrl: db.url });
        const workersHttp = new Http(t.baseUrl);
        const rerun = await workersHttp.post(`/api/jobs/${finished}/rerun`);
        expect(rerun.body).toMatchObject({ deploymentId: deployment, deploymentRevision: 1 });
        const done = await waitUntil(
          async () => {
            const job = (await workersHttp.get(`/api/jobs/${rerun.body.id}`)).body;
            return TERMINAL.has(job.state) ? job : undefined;
          },
          'the rerun to end',
          60_000,
        );
        expect(done).toMatchObject({ state: 'FINISHED', deploymentRevision: 1 });
        const counts = done.results.find((r: { resultType: string }) => r.resultType === 'COUNTS');
        expect(counts).toMatchObject({ programId: program, data: { [ALL_ONES]: 64 } });
      } finally {
        await orm.close();
      }
    } finally {
      await t?.close();
      await db.drop();
    }
  }, 120_000);
});
