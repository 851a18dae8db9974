/**
 * Issue #15, items 8 and 14, through HTTP with authentication on:
 * - public rows (owner null) are readable by everyone but changed (PUT, DELETE, cancel) only by admins,
 *   with 403 naming why; owners keep their own rows; a rerun of a public job is the caller's;
 *   DELETE /api/deployments/:id/jobs deletes the caller's own jobs and counts the public ones it skips;
 * - GET /api/deployments answers summaries of the programs (no texts); the item has the texts.
 */
import { MikroORM } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

const SECRET = 'e2e-public-rows-secret-0123456789-abcdefgh';

const token = (sub: string, extra: Record<string, unknown> = {}) =>
  new SignJWT({ sub, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

const bell = (name: string) => ({ name, programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] });
/** What the anonymous PUT of the issue swapped in. */
const SWAP = {
  name: 'swapped',
  programs: [
    {
      quantumCircuit: 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q;\nmeasure q -> c;',
      assemblerLanguage: 'QASM2',
    },
  ],
};

describe('public rows: readable by all, changed by admins (auth on)', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let bob: Http;
  let admin: Http;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET } });
    anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    admin = anon.as(await token('root', { roles: ['admin'] }));
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  const deploy = async (who: Http, name: string) => {
    const r = await who.post('/api/deployments', bell(name));
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const submit = async (who: Http, deploymentId: string) => {
    const r = await who.post('/api/jobs', { deploymentId, deviceId, shots: 10 });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const expectForbidden = (r: { status: number; body: any }, what: string, action: string) => {
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: `${what} is public: only an admin may ${action} it`,
    });
  };

  describe('a public deployment', () => {
    let dP: string;
    beforeAll(async () => {
      dP = await deploy(anon, 'public-bell');
    });

    it('is read by everyone', async () => {
      for (const who of [anon, alice, bob, admin]) {
        const r = await who.get(`/api/deployments/${dP}`);
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ deployedBy: null, programs: [{ quantumCircuit: BELL_QASM2 }] });
      }
    });

    it('is not replaced or deleted by anonymous callers or users (403 naming why), and stays as it was', async () => {
      for (const who of [anon, alice, bob]) {
        expectForbidden(await who.put(`/api/deployments/${dP}`, SWAP), `deployment ${dP}`, 'replace');
        expectForbidden(await who.delete(`/api/deployments/${dP}`), `deployment ${dP}`, 'delete');
      }
      // the right is checked before the programs are parsed: a bad program is not a 422 here
      const bad = await alice.put(`/api/deployments/${dP}`, {
        name: 'bad',
        programs: [{ quantumCircuit: 'OPENQASM 2.0;\nfoo;', assemblerLanguage: 'QASM2' }],
      });
      expect(bad.status).toBe(403);
      const after = await alice.get(`/api/deployments/${dP}`);
      expect(after.body).toMatchObject({ name: 'public-bell', programs: [{ quantumCircuit: BELL_QASM2 }] });
    });

    it('is replaced and deleted by an admin', async () => {
      const other = await deploy(anon, 'public-other');
      const replaced = await admin.put(`/api/deployments/${other}`, SWAP);
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'swapped', deployedBy: null });
      expect((await admin.delete(`/api/deployments/${other}`)).status).toBe(204);
      expect((await anon.get(`/api/deployments/${other}`)).status).toBe(404);
    });

    it("leaves users their own deployments, and someone else's private one is still a 404", async () => {
      const dA = await deploy(alice, 'alice-own');
      expect((await bob.put(`/api/deployments/${dA}`, SWAP)).status).toBe(404);
      expect((await bob.delete(`/api/deployments/${dA}`)).status).toBe(404);
      expect((await anon.delete(`/api/deployments/${dA}`)).status).toBe(404);
      const replaced = await alice.put(`/api/deployments/${dA}`, SWAP);
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ name: 'swapped', deployedBy: 'alice' });
      expect((await alice.delete(`/api/deployments/${dA}`)).status).toBe(204);
    });
  });

  describe('public jobs', () => {
    let dP: string;
    let jP: string;
    let jA: string;
    beforeAll(async () => {
      dP = await deploy(anon, 'public-for-jobs');
      jP = await submit(anon, dP);
      jA = await submit(alice, dP);
    });

    it('are not canceled or deleted by anonymous callers or users (403 naming why)', async () => {
      for (const who of [anon, alice, bob]) {
        expectForbidden(await who.post(`/api/jobs/${jP}/cancel`), `job ${jP}`, 'cancel');
        expectForbidden(await who.delete(`/api/jobs/${jP}`), `job ${jP}`, 'delete');
      }
      const job = await bob.get(`/api/jobs/${jP}`);
      expect(job.body).toMatchObject({ state: 'READY', executedBy: null });
    });

    it('leave users their own jobs on a public deployment, and hide them from others', async () => {
      expect((await bob.post(`/api/jobs/${jA}/cancel`)).status).toBe(404);
      expect((await anon.delete(`/api/jobs/${jA}`)).status).toBe(404);
      const canceled = await alice.post(`/api/jobs/${jA}/cancel`);
      expect(canceled.status).toBe(200);
      expect(canceled.body.state).toBe('CANCELED');
      expect((await alice.delete(`/api/jobs/${jA}`)).status).toBe(204);
      expect((await alice.get(`/api/jobs/${jA}`)).status).toBe(404);
    });

    it('are run again by anyone who sees them: the new job is the caller’s (public for anonymous)', async () => {
      const byAlice = await alice.post(`/api/jobs/${jP}/rerun`);
      expect(byAlice.status).toBe(201);
      expect(byAlice.body).toMatchObject({ executedBy: 'alice', deploymentId: dP, shots: 10 });
      // so she can cancel and delete it, and bob does not see it
      expect((await bob.get(`/api/jobs/${byAlice.body.id}`)).status).toBe(404);
      expect((await alice.post(`/api/jobs/${byAlice.body.id}/cancel`)).body.state).toBe('CANCELED');
      expect((await alice.delete(`/api/jobs/${byAlice.body.id}`)).status).toBe(204);

      const byAnon = await anon.post(`/api/jobs/${jP}/rerun`);
      expect(byAnon.status).toBe(201);
      expect(byAnon.body.executedBy).toBeNull();
      expectForbidden(await anon.post(`/api/jobs/${byAnon.body.id}/cancel`), `job ${byAnon.body.id}`, 'cancel');
      expect((await admin.delete(`/api/jobs/${byAnon.body.id}`)).status).toBe(204);
    });

    it('are canceled and deleted by an admin', async () => {
      const canceled = await admin.post(`/api/jobs/${jP}/cancel`);
      expect(canceled.status).toBe(200);
      expect(canceled.body).toMatchObject({ state: 'CANCELED', executedBy: null });
      expect((await admin.delete(`/api/jobs/${jP}`)).status).toBe(204);
      expect((await anon.get(`/api/jobs/${jP}`)).status).toBe(404);
    });
  });

  describe('DELETE /api/deployments/:id/jobs', () => {
    let dP: string;
    let jobs: { public: string[]; alice: string[]; bob: string[] };
    const remaining = async () =>
      ((await admin.get(`/api/deployments/${dP}/jobs?limit=100`)).body.items as { id: string }[])
        .map((j) => j.id)
        .sort();

    beforeAll(async () => {
      dP = await deploy(anon, 'public-shared');
      jobs = {
        public: [await submit(anon, dP), await submit(anon, dP)],
        alice: [await submit(alice, dP), await submit(alice, dP), await submit(alice, dP)],
        bob: [await submit(bob, dP)],
      };
    });

    it('deletes nothing for an anonymous caller (who owns nothing) and counts the public jobs skipped', async () => {
      const r = await anon.delete(`/api/deployments/${dP}/jobs`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ deleted: 0, skipped: 2 });
      expect(await remaining()).toEqual([...jobs.public, ...jobs.alice, ...jobs.bob].sort());
    });

    it("deletes a user's own jobs only: the public ones are skipped, someone else's are not touched", async () => {
      const r = await alice.delete(`/api/deployments/${dP}/jobs`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ deleted: 3, skipped: 2 });
      expect(await remaining()).toEqual([...jobs.public, ...jobs.bob].sort());
      expect((await alice.delete(`/api/deployments/${dP}/jobs`)).body).toEqual({ deleted: 0, skipped: 2 });
    });

    it('deletes all of them for an admin', async () => {
      const r = await admin.delete(`/api/deployments/${dP}/jobs`);
      expect(r.body).toEqual({ deleted: 3, skipped: 0 });
      expect(await remaining()).toEqual([]);
    });

    it('is a 404 for a deployment the caller cannot see', async () => {
      const dB = await deploy(bob, 'bob-private');
      expect((await alice.delete(`/api/deployments/${dB}/jobs`)).status).toBe(404);
      expect((await anon.delete(`/api/deployments/${dB}/jobs`)).status).toBe(404);
      expect((await bob.delete(`/api/deployments/${dB}/jobs`)).body).toEqual({ deleted: 0, skipped: 0 });
    });
  });
});

describe('open single-user mode: the anonymous caller is admin and changes public rows as before', () => {
  let t: TestApp;
  let http: Http;
  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
  });
  afterAll(() => t?.close());

  it('replaces and deletes public deployments and cancels, deletes and reruns public jobs', async () => {
    const deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const d = (await http.post('/api/deployments', bell('open'))).body.id;
    const j1 = (await http.post('/api/jobs', { deploymentId: d, deviceId, shots: 10 })).body.id;
    const j2 = (await http.post('/api/jobs', { deploymentId: d, deviceId, shots: 10 })).body.id;
    expect((await http.put(`/api/deployments/${d}`, SWAP)).status).toBe(200);
    expect((await http.post(`/api/jobs/${j1}/cancel`)).body.state).toBe('CANCELED');
    const rerun = await http.post(`/api/jobs/${j1}/rerun`);
    expect(rerun.body.executedBy).toBeNull();
    expect((await http.delete(`/api/jobs/${j1}`)).status).toBe(204);
    expect((await http.delete(`/api/deployments/${d}/jobs`)).body).toEqual({ deleted: 2, skipped: 0 });
    expect((await http.get(`/api/jobs/${j2}`)).status).toBe(404);
    expect((await http.delete(`/api/deployments/${d}`)).status).toBe(204);
  });
});

describe('GET /api/deployments answers summaries; the item has the texts', () => {
  let t: TestApp;
  let http: Http;
  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
  });
  afterAll(() => t?.close());

  // a comment with characters of two and three bytes, so that bytes and characters differ
  const qasm3 = 'OPENQASM 3;\n// Überlagerung — Bell\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n';
  const qiskit = 'from qiskit import QuantumCircuit\nqc = QuantumCircuit(2)';

  it('lists programs as {id, position, assemblerLanguage, sizeBytes}, without quantumCircuit', async () => {
    const created = await http.post('/api/deployments', {
      name: 'summaries',
      programs: [
        { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
        { quantumCircuit: qasm3, assemblerLanguage: 'QASM3' },
        { quantumCircuit: qiskit, assemblerLanguage: 'QISKIT' },
      ],
    });
    expect(created.status).toBe(201);
    const ids = created.body.programs.map((p: { id: string }) => p.id);
    expect(Buffer.byteLength(qasm3)).toBeGreaterThan(qasm3.length);

    const list = await http.get('/api/deployments?name=summaries');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    const item = list.body.items[0];
    expect(Object.keys(item).sort()).toEqual(['deployedAt', 'deployedBy', 'id', 'name', 'programs', 'revision']);
    expect(item.programs).toEqual([
      { id: ids[0], position: 0, assemblerLanguage: 'QASM2', sizeBytes: Buffer.byteLength(BELL_QASM2) },
      { id: ids[1], position: 1, assemblerLanguage: 'QASM3', sizeBytes: Buffer.byteLength(qasm3) },
      { id: ids[2], position: 2, assemblerLanguage: 'QISKIT', sizeBytes: Buffer.byteLength(qiskit) },
    ]);
    expect(JSON.stringify(list.body)).not.toContain('quantumCircuit');

    const full = await http.get(`/api/deployments/${item.id}`);
    expect(full.body.programs).toEqual([
      {
        id: ids[0],
        position: 0,
        assemblerLanguage: 'QASM2',
        sizeBytes: Buffer.byteLength(BELL_QASM2),
        quantumCircuit: BELL_QASM2,
      },
      {
        id: ids[1],
        position: 1,
        assemblerLanguage: 'QASM3',
        sizeBytes: Buffer.byteLength(qasm3),
        quantumCircuit: qasm3,
      },
      {
        id: ids[2],
        position: 2,
        assemblerLanguage: 'QISKIT',
        sizeBytes: Buffer.byteLength(qiskit),
        quantumCircuit: qiskit,
      },
    ]);
  });

  it('does not read the program texts from the database for the list, only for the item', async () => {
    // every SQL statement the ORM sends, seen at its logger (which still logs as configured)
    const logger = t.get<MikroORM>(MikroORM).config.getLogger();
    const logQuery = logger.logQuery.bind(logger);
    const sent: string[] = [];
    logger.logQuery = (context) => {
      if (context.query) sent.push(context.query);
      logQuery(context);
    };
    try {
      await http.post('/api/deployments', {
        name: 'unread',
        programs: [
          { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
          { quantumCircuit: qiskit, assemblerLanguage: 'QISKIT' },
        ],
      });
      sent.length = 0;
      const list = await http.get('/api/deployments?name=unread');
      expect(list.body.items[0].programs).toHaveLength(2);
      const listQueries = sent.splice(0);
      const programQueries = listQueries.filter((q) => q.includes('quantum_program'));
      expect(programQueries).toHaveLength(1);
      // the text's column appears only inside octet_length(...), and no whole program rows are selected
      expect(programQueries[0]).toMatch(/octet_length\([^)]*quantum_circuit[^)]*\)/);
      expect(programQueries[0].replace(/octet_length\([^)]*\)/g, '')).not.toContain('quantum_circuit');
      expect(programQueries[0]).not.toMatch(/\.\*|select \*/i);

      await http.get(`/api/deployments/${list.body.items[0].id}`);
      // the item does read whole program rows (so the check above looks at the right queries)
      expect(sent.filter((q) => q.includes('quantum_program')).join('\n')).toMatch(
        /select "\w+"\.\* from "quantum_program"/,
      );
    } finally {
      logger.logQuery = logQuery;
    }
  });

  it('keeps a list of large deployments small: its size does not grow with the program texts', async () => {
    // 20 deployments of a 500 KB program (a QISKIT text: stored as it is, not parsed)
    const big = `# ${'x'.repeat(500 * 1024)}\nqc = QuantumCircuit(2)`;
    for (let i = 0; i < 20; i++) {
      const r = await http.post('/api/deployments', {
        name: `large-${i}`,
        programs: [{ quantumCircuit: big, assemblerLanguage: 'QISKIT' }],
      });
      expect(r.status).toBe(201);
    }
    const res = await fetch(`${t.baseUrl}/api/deployments?name=large-&limit=100`);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.total).toBe(20);
    expect(body.items.every((d: any) => d.programs[0].sizeBytes === Buffer.byteLength(big))).toBe(true);
    expect(text.length).toBeLessThan(20 * 1024);
    expect(text).not.toContain('xxxx');
  });

  it('describes the list with DeploymentSummaryDto in OpenAPI, and the item with DeploymentDto', async () => {
    const doc = (await http.get('/api/docs/openapi.json')).body;
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.DeploymentSummaryDto.properties).sort()).toEqual([
      'deployedAt',
      'deployedBy',
      'id',
      'name',
      'programs',
      'revision',
    ]);
    expect(schemas.DeploymentSummaryDto.properties.programs.items.$ref).toBe('#/components/schemas/ProgramSummaryDto');
    expect(schemas.ProgramSummaryDto.properties.quantumCircuit).toBeUndefined();
    expect(schemas.ProgramSummaryDto.properties.sizeBytes).toBeDefined();
    expect(schemas.ProgramDto.properties.quantumCircuit).toBeDefined();
    const listSchema = doc.paths['/api/deployments'].get.responses['200'].content['application/json'].schema;
    expect(listSchema.$ref).toBe('#/components/schemas/DeploymentSummaryPageDto');
    expect(schemas.DeploymentSummaryPageDto.properties.items.items.$ref).toBe(
      '#/components/schemas/DeploymentSummaryDto',
    );
    const itemSchema = doc.paths['/api/deployments/{id}'].get.responses['200'].content['application/json'].schema;
    expect(itemSchema.$ref).toBe('#/components/schemas/DeploymentDto');
  });
});
