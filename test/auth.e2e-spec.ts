import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { OPEN_MODE_PRINCIPAL } from '../src/auth/auth.service';
import { CreateJobDto } from '../src/jobs/dto/job.dto';
import { JobsService } from '../src/jobs/jobs.service';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

const SECRET = 'e2e-auth-secret-0123456789-abcdefghijklmnop';
const ISSUER = 'https://id.qunest.test';
const AUDIENCE = 'qunest-api';

function token(
  sub: string,
  extra: Record<string, unknown> = {},
  opts: { secret?: string; exp?: number | string; aud?: string; iss?: string } = {},
) {
  return new SignJWT({ sub, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '10m')
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

const bell = (name: string) => ({ name, programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] });
const ids = (page: { items: { id: string }[] }) => page.items.map((i) => i.id).sort();

describe('users and security (HS256, issuer and audience configured)', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let bob: Http;
  let admin: Http;
  let keycloakAdmin: Http;
  let deviceId: string;

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET, issuer: ISSUER, audience: AUDIENCE } });
    anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    admin = anon.as(await token('root', { roles: ['admin'] }));
    keycloakAdmin = anon.as(await token('kc-root', { realm_access: { roles: ['offline_access', 'admin'] } }));
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(() => t?.close());

  describe('ownership', () => {
    // Rows: deployments of alice (dA), bob (dB) and a public one (dP); jobs of alice on dA and dP,
    // of bob on dB and dP, and a public job on dP.
    let dA: string, dB: string, dP: string;
    let jA: string, jAP: string, jB: string, jBP: string, jP: string;
    let rB: string, rA: string;

    const submit = async (who: Http, deploymentId: string) => {
      const r = await who.post('/api/jobs', { deploymentId, deviceId, shots: 10 });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };

    beforeAll(async () => {
      dA = (await alice.post('/api/deployments', bell('alice'))).body.id;
      dB = (await bob.post('/api/deployments', bell('bob'))).body.id;
      const pub = await anon.post('/api/deployments', bell('public'));
      expect(pub.body.deployedBy).toBeNull();
      dP = pub.body.id;
      jA = await submit(alice, dA);
      jAP = await submit(alice, dP);
      jB = await submit(bob, dB);
      jBP = await submit(bob, dP);
      jP = await submit(anon, dP);
      // No worker runs here: end two jobs the way a worker does.
      const jobs = t.get<JobsService>(JobsService);
      expect((await jobs.saveResults(jB, [{ resultType: 'COUNTS', data: { '00': 5, '11': 5 } }])).applied).toBe(true);
      expect((await jobs.saveResults(jA, [{ resultType: 'COUNTS', data: { '00': 10 } }])).applied).toBe(true);
      rB = (await admin.get(`/api/jobs/${jB}/results`)).body[0].id;
      rA = (await admin.get(`/api/jobs/${jA}/results`)).body[0].id;
    });

    it('records the submitter as owner (null for anonymous)', async () => {
      expect((await alice.get(`/api/jobs/${jA}`)).body.executedBy).toBe('alice');
      expect((await bob.get(`/api/jobs/${jB}`)).body.executedBy).toBe('bob');
      expect((await anon.get(`/api/jobs/${jP}`)).body.executedBy).toBeNull();
      expect((await alice.get(`/api/deployments/${dA}`)).body.deployedBy).toBe('alice');
    });

    it('lists deployments: own and public for users, public for anonymous, all for admins', async () => {
      expect(ids((await alice.get('/api/deployments')).body)).toEqual([dA, dP].sort());
      expect(ids((await bob.get('/api/deployments')).body)).toEqual([dB, dP].sort());
      expect(ids((await anon.get('/api/deployments')).body)).toEqual([dP]);
      expect(ids((await admin.get('/api/deployments')).body)).toEqual([dA, dB, dP].sort());
      expect(ids((await keycloakAdmin.get('/api/deployments')).body)).toEqual([dA, dB, dP].sort());
    });

    it("answers 404 for someone else's deployment on read, replace and delete", async () => {
      for (const r of [
        await alice.get(`/api/deployments/${dB}`),
        await alice.put(`/api/deployments/${dB}`, bell('taken')),
        await alice.delete(`/api/deployments/${dB}`),
        await anon.get(`/api/deployments/${dA}`),
      ]) {
        expect(r.status).toBe(404);
        expect(r.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
      expect((await admin.get(`/api/deployments/${dB}`)).status).toBe(200);
      expect((await bob.get(`/api/deployments/${dB}`)).body.name).toBe('bob');
    });

    it('lists jobs: own and public for users, public for anonymous, all for admins (filters too)', async () => {
      expect(ids((await alice.get('/api/jobs')).body)).toEqual([jA, jAP, jP].sort());
      expect(ids((await bob.get('/api/jobs')).body)).toEqual([jB, jBP, jP].sort());
      expect(ids((await anon.get('/api/jobs')).body)).toEqual([jP]);
      expect((await admin.get('/api/jobs')).body.total).toBe(5);
      expect((await alice.get(`/api/jobs?deploymentId=${dB}`)).body.total).toBe(0);
      expect(ids((await alice.get(`/api/jobs?deploymentId=${dP}`)).body)).toEqual([jAP, jP].sort());
    });

    it("answers 404 for someone else's job on read, results, one result, cancel, rerun and delete", async () => {
      for (const r of [
        await alice.get(`/api/jobs/${jB}`),
        await alice.get(`/api/jobs/${jB}/results`),
        await alice.get(`/api/jobs/${jB}/results/${rB}`),
        await alice.post(`/api/jobs/${jBP}/cancel`),
        await alice.post(`/api/jobs/${jB}/rerun`),
        await alice.delete(`/api/jobs/${jBP}`),
        await anon.get(`/api/jobs/${jA}`),
        await anon.get(`/api/jobs/${jA}/results/${rA}`),
      ]) {
        expect(r.status).toBe(404);
        expect(r.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
      // a visible job does not open another's result either
      expect((await alice.get(`/api/jobs/${jA}/results/${rB}`)).status).toBe(404);
      // nothing was changed by the refused calls
      expect((await bob.get(`/api/jobs/${jBP}`)).body.state).toBe('READY');
      expect((await admin.get('/api/jobs')).body.total).toBe(5);
    });

    it('shows owners their results, and admins everything', async () => {
      const own = await bob.get(`/api/jobs/${jB}/results`);
      expect(own.status).toBe(200);
      expect(own.body.map((r: { id: string }) => r.id)).toEqual([rB]);
      expect((await bob.get(`/api/jobs/${jB}/results/${rB}`)).body.data).toEqual({ '00': 5, '11': 5 });
      expect((await admin.get(`/api/jobs/${jB}/results/${rB}`)).status).toBe(200);
      expect((await keycloakAdmin.get(`/api/jobs/${jA}`)).body.results).toHaveLength(1);
    });

    it('does not let a user run a job on a deployment they cannot see', async () => {
      const r = await alice.post('/api/jobs', { deploymentId: dB, deviceId, shots: 10 });
      expect(r.status).toBe(404);
      expect(r.body.message).toContain(`deployment ${dB} not found`);
      expect((await anon.post('/api/jobs', { deploymentId: dA, deviceId, shots: 10 })).status).toBe(404);
    });

    it('lists the jobs of a deployment by visibility, and 404 for an invisible deployment', async () => {
      expect((await alice.get(`/api/deployments/${dB}/jobs`)).status).toBe(404);
      expect((await alice.delete(`/api/deployments/${dB}/jobs`)).status).toBe(404);
      expect(ids((await alice.get(`/api/deployments/${dP}/jobs`)).body)).toEqual([jAP, jP].sort());
      expect(ids((await bob.get(`/api/deployments/${dP}/jobs`)).body)).toEqual([jBP, jP].sort());
      expect(ids((await anon.get(`/api/deployments/${dP}/jobs`)).body)).toEqual([jP]);
      expect(ids((await admin.get(`/api/deployments/${dP}/jobs`)).body)).toEqual([jAP, jBP, jP].sort());
    });

    it("keeps an owned job's owner when it is run again, by its owner or an admin; a public job's rerun is the caller's", async () => {
      const own = await bob.post(`/api/jobs/${jB}/rerun`);
      expect(own.status).toBe(201);
      expect(own.body.executedBy).toBe('bob');
      const byAdmin = await admin.post(`/api/jobs/${jA}/rerun`);
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body.executedBy).toBe('alice');
      expect(ids((await alice.get('/api/jobs')).body)).toContain(byAdmin.body.id);
      expect(ids((await bob.get('/api/jobs')).body)).not.toContain(byAdmin.body.id);
      const pub = await alice.post(`/api/jobs/${jP}/rerun`);
      expect(pub.body.executedBy).toBe('alice');
      // clean up, so that later counts stay as they were
      for (const id of [own.body.id, byAdmin.body.id, pub.body.id])
        expect((await admin.delete(`/api/jobs/${id}`)).status).toBe(204);
    });

    it("lets owners and admins cancel and delete, and deletes only the caller's own jobs of a deployment", async () => {
      expect((await bob.post(`/api/jobs/${jBP}/cancel`)).body.state).toBe('CANCELED');
      expect((await admin.post(`/api/jobs/${jAP}/cancel`)).body.state).toBe('CANCELED');
      const deleted = await alice.delete(`/api/deployments/${dP}/jobs`);
      // alice's jAP; the public jP is left to admins (test/public-rows.e2e-spec.ts), bob's jBP is not hers
      expect(deleted.body).toEqual({ deleted: 1, skipped: 1 });
      expect((await bob.get(`/api/jobs/${jBP}`)).status).toBe(200);
      expect((await admin.get(`/api/jobs/${jAP}`)).status).toBe(404);
      expect((await admin.delete(`/api/jobs/${jP}`)).status).toBe(204);
      expect((await bob.delete(`/api/jobs/${jBP}`)).status).toBe(204);
      expect((await admin.delete(`/api/jobs/${jB}`)).status).toBe(204);
      expect(ids((await admin.get('/api/jobs')).body)).toEqual([jA]);
    });

    it('keeps device changes for admins (403: devices are visible to all)', async () => {
      const r = await alice.patch(`/api/devices/${deviceId}`, { status: 'offline' });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
      expect((await admin.patch(`/api/devices/${deviceId}`, { status: 'online' })).status).toBe(200);
    });
    it('does not rerun a visible job whose deployment the caller cannot see', async () => {
      // a public job on alice's private deployment (as open mode, where the admin is anonymous, leaves behind)
      const jobs = t.get<JobsService>(JobsService);
      const legacy = await jobs.create(
        OPEN_MODE_PRINCIPAL,
        Object.assign(new CreateJobDto(), { deploymentId: dA, deviceId, shots: 10 }),
      );
      expect(legacy.executedBy).toBeNull();
      expect((await bob.get(`/api/jobs/${legacy.id}`)).status).toBe(200);
      const r = await bob.post(`/api/jobs/${legacy.id}/rerun`);
      expect(r.status).toBe(404);
      expect(r.body.message).toBe(`deployment ${dA} not found`);
      expect((await alice.post(`/api/jobs/${legacy.id}/rerun`)).status).toBe(201);
      expect((await admin.delete(`/api/deployments/${dA}/jobs`)).body.deleted).toBe(3);
    });
  });

  describe('bad tokens', () => {
    const expectInvalid = async (r: { status: number; body: any; headers: Headers }, reason: string) => {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.stringContaining(reason) });
      const challenge = r.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer realm="qunest", error="invalid_token", error_description="[^"]+"$/);
      expect(challenge).toContain(reason);
    };

    it('refuses an expired token', async () => {
      await expectInvalid(
        await anon.as(await token('alice', {}, { exp: Math.floor(Date.now() / 1000) - 3600 })).get('/api/jobs'),
        'token has expired',
      );
    });

    it('refuses a wrongly signed token', async () => {
      await expectInvalid(
        await anon.as(await token('alice', {}, { secret: 'x'.repeat(40) })).get('/api/jobs'),
        'signature does not verify',
      );
    });

    it('refuses a token for another audience or from another issuer', async () => {
      await expectInvalid(
        await anon.as(await token('alice', {}, { aud: 'someone-else' })).get('/api/jobs'),
        'wrong audience',
      );
      await expectInvalid(
        await anon.as(await token('alice', {}, { iss: 'https://evil.test' })).get('/api/jobs'),
        'wrong issuer',
      );
    });

    it('refuses malformed tokens and Authorization headers', async () => {
      await expectInvalid(await anon.as('definitely-not-a-jwt').get('/api/jobs'), 'token is malformed');
      // correctly signed, but the claims are not a JSON object
      const signingInput = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('not-json').toString('base64url')}`;
      const signature = createHmac('sha256', SECRET).update(signingInput).digest('base64url');
      await expectInvalid(await anon.as(`${signingInput}.${signature}`).get('/api/deployments'), 'token is malformed');
      const basic = await anon.request('GET', '/api/jobs', undefined, { authorization: 'Basic YWxpY2U6cHc=' });
      expect(basic.status).toBe(401);
      expect(basic.headers.get('www-authenticate')).toContain('error="invalid_request"');
    });

    it('never falls back to anonymous for a bad token, also on writes', async () => {
      const bad = anon.as(await token('alice', {}, { secret: 'y'.repeat(40) }));
      expect((await bad.post('/api/deployments', bell('sneaky'))).status).toBe(401);
      expect((await admin.get('/api/deployments?name=sneaky')).body.total).toBe(0);
    });
  });

  it('documents the bearer scheme on every operation', async () => {
    const doc = (await anon.get('/api/docs/openapi.json')).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const operations = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown }>>)
      .filter(([path]) => /^\/api\/(jobs|deployments|devices|providers)/.test(path))
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ op: `${method} ${path}`, security: op.security })),
      );
    expect(operations.length).toBeGreaterThanOrEqual(15);
    for (const o of operations) expect(o).toEqual({ op: o.op, security: [{ bearer: [] }] });
    expect(doc.components.schemas.CreateJobDto.properties.token).toMatchObject({ type: 'string', writeOnly: true });
    expect(doc.components.schemas.JobDto.properties.token).toBeUndefined();
  });

  it('refuses a provider token when no TOKEN_ENCRYPTION_KEY is set (422), without echoing it', async () => {
    const dP = (await anon.post('/api/deployments', bell('for-token'))).body.id;
    const secret = 'provider-token-that-must-not-echo-7f3a';
    const r = await alice.post('/api/jobs', { deploymentId: dP, deviceId, shots: 10, token: secret });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity', field: 'token' });
    expect(r.body.message).toContain('TOKEN_ENCRYPTION_KEY');
    expect(JSON.stringify(r.body)).not.toContain(secret);
    expect((await alice.get(`/api/jobs?deploymentId=${dP}`)).body.total).toBe(0);
  });
});

describe('AUTH_REQUIRED', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET, required: true } });
  });
  afterAll(() => t?.close());

  it('answers anonymous requests with 401 and a bare Bearer challenge, and serves tokens', async () => {
    const anon = new Http(t.baseUrl);
    for (const path of ['/api/jobs', '/api/deployments', '/api/devices', '/api/providers']) {
      const r = await anon.get(path);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'a bearer token is required' });
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="qunest"');
    }
    const tok = await new SignJWT({ sub: 'carol' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    const carol = anon.as(tok);
    expect((await carol.get('/api/jobs')).status).toBe(200);
    const d = await carol.post('/api/deployments', bell('carol'));
    expect(d.body.deployedBy).toBe('carol');
  });

  it('still answers the health check anonymously, for load balancers', async () => {
    const r = await new Http(t.baseUrl).get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });
});
