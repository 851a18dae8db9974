import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { ormConfig } from '../src/model';
import { startTestApp, type TestApp } from './helpers/app';
import { freshDatabase } from './helpers/database';
import { OpenApiFuzzer, type OpenApiDoc } from './helpers/openapi-fuzz';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

const SECRET = 'e2e-webhooks-secret-0123456789-abcdefghij';

function token(sub: string, extra: Record<string, unknown> = {}) {
  return new SignJWT({ sub, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: number; name: string; seq: number | null; payload: Record<string, any>; at: string };
  at: number;
}

/** A webhook receiver on 127.0.0.1: records every request; `answer` decides each status (200 by default). */
class Receiver {
  readonly requests: Received[] = [];
  answer: (r: Received, n: number) => number = () => 200;
  private server?: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const r: Received = { path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() };
        this.requests.push(r);
        const n = this.requests.filter((x) => x.path === r.path).length;
        const status = this.answer(r, n);
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status >= 300 ? `nope ${'x'.repeat(3000)}` : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** What a receiver does with Qunest-Signature: recompute HMAC-SHA256("<t>.<raw body>") with the secret. */
function verify(secret: string, r: Received): boolean {
  const header = String(r.headers['qunest-signature']);
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${r.raw}`).digest('hex');
  return expected === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

const PROGRAMS = [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }];

describe('signed webhooks (real app, workers, a receiver on 127.0.0.1)', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let bob: Http;
  let admin: Http;
  let deviceId: string;
  let aliceDeployment: string;
  let publicDeployment: string;
  const receiver = new Receiver();

  const submit = async (who: Http, deploymentId: string): Promise<string> => {
    const r = await who.post('/api/jobs', { deploymentId, deviceId, shots: 16 });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const finished = (who: Http, jobId: string) =>
    waitUntil(async () => (await who.get(`/api/jobs/${jobId}`)).body.state === 'FINISHED', `job ${jobId} FINISHED`);
  const hook = async (who: Http, path: string, events: string[]) => {
    const r = await who.post('/api/webhooks', { url: receiver.base + path, events });
    expect(r.status).toBe(201);
    return r.body as { id: string; secret: string; url: string; events: string[]; ownerId: string | null };
  };

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({
      runWorkers: true,
      // secrets sealed at rest: the signatures below are made with secrets read back from the sealed form
      auth: { jwtSecret: SECRET, tokenEncryptionKey: 'e2e-webhooks-token-encryption-key' },
      webhooks: { retryBaseSeconds: 1, maxAttempts: 8, timeoutSeconds: 5, allowPrivate: true },
    });
    anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    admin = anon.as(await token('root', { roles: ['admin'] }));
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    aliceDeployment = (await alice.post('/api/deployments', { name: 'alice', programs: PROGRAMS })).body.id;
    publicDeployment = (await anon.post('/api/deployments', { name: 'public', programs: PROGRAMS })).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it('creates a webhook with its secret once; lists without it; only the owner (or an admin) sees it', async () => {
    const created = await hook(alice, '/listed', ['job.state']);
    expect(created).toMatchObject({
      url: `${receiver.base}/listed`,
      events: ['job.state'],
      ownerId: 'alice',
      allRows: false,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const mine = await alice.get('/api/webhooks');
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((w: any) => w.id)).toContain(created.id);
    expect(JSON.stringify(mine.body)).not.toContain(created.secret);
    expect((await alice.get(`/api/webhooks/${created.id}`)).body.secret).toBeUndefined();
    expect((await bob.get(`/api/webhooks/${created.id}`)).status).toBe(404);
    expect((await bob.get(`/api/webhooks/${created.id}/deliveries`)).status).toBe(404);
    expect((await bob.delete(`/api/webhooks/${created.id}`)).status).toBe(404);
    expect((await bob.get('/api/webhooks')).body.items.map((w: any) => w.id)).not.toContain(created.id);
    expect((await admin.get('/api/webhooks')).body.items.map((w: any) => w.id)).toContain(created.id);
    expect((await anon.post('/api/webhooks', { url: `${receiver.base}/anon`, events: ['*'] })).status).toBe(403);
    expect((await alice.get('/api/webhooks/not-a-uuid')).status).toBe(404);
    // the secret is stored sealed (TOKEN_ENCRYPTION_KEY is set), not as it was answered
    const [row] = await t
      .get<EntityManager>(EntityManager)
      .fork()
      .getConnection()
      .execute<{ secret: string }[]>('select "secret" from "webhook" where "id" = ?', [created.id]);
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain(created.secret.slice('whsec_'.length));
    expect((await alice.delete(`/api/webhooks/${created.id}`)).status).toBe(204);
    expect((await alice.get(`/api/webhooks/${created.id}`)).status).toBe(404);
  });

  it('retries a failed delivery after the base delay, with the same delivery id, signed; the log shows both attempts', async () => {
    const created = await hook(alice, '/retry', ['job.created']);
    receiver.answer = (r, n) => (r.path === '/retry' && n === 1 ? 500 : 200);
    const jobId = await submit(alice, aliceDeployment);
    const [first, second] = await waitUntil(async () => {
      const got = receiver.at('/retry');
      return got.length >= 2 ? got : null;
    }, 'two attempts at /retry');
    for (const r of [first, second]) {
      expect(r.headers['qunest-event']).toBe('job.created');
      expect(r.headers['content-type']).toBe('application/json');
      expect(verify(created.secret, r)).toBe(true);
      expect(verify('whsec_wrong', r)).toBe(false);
      expect(r.body).toMatchObject({ name: 'job.created', seq: 1, payload: { jobId, ownerId: 'alice', seq: 1 } });
      expect(typeof r.body.id).toBe('number');
      expect(new Date(r.body.at).toString()).not.toBe('Invalid Date');
    }
    expect(second.headers['qunest-delivery']).toBe(first.headers['qunest-delivery']);
    expect(second.body).toEqual(first.body);
    // the first retry waits WEBHOOK_RETRY_BASE_SECONDS (1 s here)
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);

    const log = await waitUntil(async () => {
      const r = await alice.get(`/api/webhooks/${created.id}/deliveries`);
      return r.body.total >= 2 ? r.body : null;
    }, 'two attempts in the log');
    expect(log.items).toHaveLength(2);
    const [latest, earliest] = log.items; // newest first
    expect(earliest).toMatchObject({
      deliveryId: first.headers['qunest-delivery'],
      attempt: 1,
      event: 'job.created',
      eventId: first.body.id,
      status: 500,
      error: 'answered 500',
      deliveryState: 'delivered',
    });
    expect(latest).toMatchObject({
      deliveryId: earliest.deliveryId,
      attempt: 2,
      status: 200,
      error: null,
      responseBody: 'ok',
    });
    expect(earliest.responseBody.length).toBeLessThanOrEqual(1024);
    expect(earliest.responseBody.startsWith('nope x')).toBe(true);
    for (const a of log.items) {
      expect(typeof a.durationMs).toBe('number');
      expect(Date.parse(a.at)).toBeGreaterThan(0);
    }
    expect(Date.parse(latest.at) - Date.parse(earliest.at)).toBeGreaterThanOrEqual(900);
    receiver.answer = () => 200;
  });

  it("delivers public rows' events and the owner's, never another user's private job; an admin's webhook gets all, in seq order", async () => {
    await hook(bob, '/bob', ['*']);
    await hook(admin, '/admin', ['job.created', 'job.state', 'job.result']);
    const privateJob = await submit(alice, aliceDeployment);
    await finished(alice, privateJob);
    const publicJob = await submit(anon, publicDeployment);
    await finished(anon, publicJob);
    const isFinished = (jobId: string) => (r: Received) =>
      r.body.name === 'job.state' && r.body.payload.jobId === jobId && r.body.payload.state === 'FINISHED';
    // Deliveries of one webhook go in outbox order: once the public job's last event arrived, any event of
    // the private job (committed before) would have arrived first.
    await waitUntil(async () => receiver.at('/bob').some(isFinished(publicJob)), 'bob receives the public job');
    await waitUntil(async () => receiver.at('/admin').some(isFinished(publicJob)), 'admin receives the public job');
    const bobs = receiver.at('/bob');
    expect(bobs.filter((r) => r.body.payload.jobId === privateJob)).toEqual([]);
    expect(bobs.some((r) => r.body.payload.jobId === publicJob && r.body.name === 'job.created')).toBe(true);
    expect(bobs.some((r) => r.body.name === 'job.result' && r.body.payload.jobId === publicJob)).toBe(true);
    // the admin's webhook saw alice's private job, and only the events it asked for
    const admins = receiver.at('/admin');
    expect(admins.some(isFinished(privateJob))).toBe(true);
    expect(admins.every((r) => ['job.created', 'job.state', 'job.result'].includes(r.body.name))).toBe(true);
    // per job, seq rises (every event on bob's '*' hook: consecutive)
    const seqs = bobs.filter((r) => r.body.payload.jobId === publicJob).map((r) => r.body.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const adminSeqs = admins.filter((r) => r.body.payload.jobId === privateJob).map((r) => r.body.seq as number);
    expect([...adminSeqs].sort((a, b) => a - b)).toEqual(adminSeqs);
    // every body is signed with its webhook's secret (header shape on all)
    for (const r of [...bobs, ...admins]) expect(r.headers['qunest-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('stops delivering once the webhook is deleted', async () => {
    const created = await hook(alice, '/deleted', ['job.created']);
    const watcher = await hook(alice, '/watcher', ['job.created']);
    const before = await submit(alice, aliceDeployment);
    await waitUntil(async () => receiver.at('/deleted').some((r) => r.body.payload.jobId === before), 'first delivery');
    expect((await alice.delete(`/api/webhooks/${created.id}`)).status).toBe(204);
    expect((await alice.get(`/api/webhooks/${created.id}/deliveries`)).status).toBe(404);
    const after = await submit(alice, aliceDeployment);
    await waitUntil(
      async () => receiver.at('/watcher').some((r) => r.body.payload.jobId === after),
      'watcher sees the job',
    );
    await finished(alice, after);
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.at('/deleted').map((r) => r.body.payload.jobId)).toEqual([before]);
    expect((await alice.delete(`/api/webhooks/${watcher.id}`)).status).toBe(204);
  });

  it('checks the address again at delivery: a URL allowed at creation but private now is refused, and logged', async () => {
    const created = await hook(alice, '/rechecked', ['job.created']);
    // the setting changes under the running app (the config object is the app's own): as if the
    // name now resolved to a private address, the delivery must not be sent
    t.config.webhooks.allowPrivate = false;
    try {
      const jobId = await submit(alice, aliceDeployment);
      const log = await waitUntil(async () => {
        const r = await alice.get(`/api/webhooks/${created.id}/deliveries`);
        return r.body.total >= 1 ? r.body : null;
      }, 'a refused attempt in the log');
      expect(log.items[0]).toMatchObject({ attempt: 1, status: null, event: 'job.created', deliveryState: 'pending' });
      expect(log.items[0].error).toMatch(/127\.0\.0\.1.*loopback, private or link-local/);
      expect(receiver.at('/rechecked')).toEqual([]);
      // allowed again: the retry goes out
      t.config.webhooks.allowPrivate = true;
      const [got] = await waitUntil(async () => {
        const r = receiver.at('/rechecked');
        return r.length > 0 ? r : null;
      }, 'the retry after the address is allowed again');
      expect(got.body.payload.jobId).toBe(jobId);
    } finally {
      t.config.webhooks.allowPrivate = true;
      await alice.delete(`/api/webhooks/${created.id}`);
    }
  });

  it('refuses a bad events list with 400 naming events', async () => {
    for (const events of [
      [],
      ['job.nope'],
      ['job.created', 'jobs.*'],
      'job.created',
      [1],
      ['job.state', 'job.state'],
    ]) {
      const r = await alice.post('/api/webhooks', { url: `${receiver.base}/x`, events });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: any) => e.field)).toContain('events');
      expect(r.body.message).toMatch(/events/);
    }
    const missing = await alice.post('/api/webhooks', { url: `${receiver.base}/x` });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/events/);
    const star = await alice.post('/api/webhooks', { url: `${receiver.base}/x`, events: ['*', 'job.state'] });
    expect(star.status).toBe(201);
    expect(star.body.events).toEqual(['*']);
    await alice.delete(`/api/webhooks/${star.body.id}`);
  });

  describe('without WEBHOOK_ALLOW_PRIVATE', () => {
    let strict: TestApp;
    let user: Http;
    let carol: string;

    beforeAll(async () => {
      strict = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET } });
      expect(strict.config.webhooks.allowPrivate).toBe(false);
      carol = await token('carol');
      user = new Http(strict.baseUrl, carol);
    });
    afterAll(() => strict?.close());

    it.each([
      'http://127.0.0.1:9/hook',
      'http://localhost:9/hook',
      'http://[::1]:9/hook',
      'http://10.0.0.5/hook',
      'http://192.168.1.20/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
    ])('refuses %s with 400 naming url', async (url) => {
      const r = await user.post('/api/webhooks', { url, events: ['*'] });
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([
        { field: 'url', message: expect.stringMatching(/loopback, private or link-local/) },
      ]);
    });

    it.each(['ftp://example.com/hook', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/'])(
      'refuses %s (not an http(s) URL) with 400 naming url',
      async (url) => {
        const r = await user.post('/api/webhooks', { url, events: ['*'] });
        expect(r.status).toBe(400);
        expect(r.body.errors[0].field).toBe('url');
      },
    );

    it('answers fuzzed requests to every webhook operation without a 5xx, in the documented shapes', async () => {
      const doc = (await user.get('/api/docs/openapi.json')).body as OpenApiDoc;
      const known = await user.post('/api/webhooks', { url: 'http://8.8.8.8/hook', events: ['job.state'] });
      expect(known.status).toBe(201);
      const fuzzer = new OpenApiFuzzer(doc, () => ({ id: [known.body.id] }));
      const ops = fuzzer.operations().filter((o) => o.template.startsWith('/api/webhooks'));
      expect(ops.map((o) => `${o.method} ${o.template}`).sort()).toEqual([
        'DELETE /api/webhooks/{id}',
        'GET /api/webhooks',
        'GET /api/webhooks/{id}',
        'GET /api/webhooks/{id}/deliveries',
        'POST /api/webhooks',
      ]);
      const auth = { authorization: `Bearer ${carol}` };
      for (const { method, template, op } of ops) {
        await fc.assert(
          fc.asyncProperty(fuzzer.requests(method, template, op), async (req) => {
            const res = await fetch(strict.baseUrl + req.path, {
              method: req.method,
              headers: { ...auth, ...(req.body !== undefined && { 'content-type': 'application/json' }) },
              body: req.body === undefined ? undefined : JSON.stringify(req.body),
            });
            const text = await res.text();
            const body: any =
              text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
            if (res.status >= 500) throw new Error(`${req.label}: ${res.status} ${text.slice(0, 300)}`);
            if (res.status >= 300) {
              expect(body).toMatchObject({
                statusCode: res.status,
                error: expect.any(String),
                message: expect.any(String),
              });
            } else if (res.status !== 204) {
              const schema = op.responses[String(res.status)]?.content?.['application/json']?.schema;
              expect(schema).toBeDefined();
              expect(fuzzer.mismatch(body, schema)).toBeNull();
            }
          }),
          { numRuns: 25 },
        );
      }
    }, 120_000);

    it('describes the endpoints in OpenAPI', async () => {
      const doc = (await user.get('/api/docs/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/webhooks', '/api/webhooks/{id}', '/api/webhooks/{id}/deliveries']),
      );
    });
  });

  it('the migration makes the tables the entities describe', async () => {
    const orm = await MikroORM.init({ ...ormConfig({ url: t.config.databaseUrl! }), logger: () => undefined });
    try {
      const drift = (await orm.schema.getUpdateSchemaSQL({ wrap: false }))
        .split('\n')
        .filter((line) => /webhook/.test(line) && !/trigger|function/.test(line));
      expect(drift).toEqual([]);
    } finally {
      await orm.close();
    }
  });
});

describe('webhook deliveries are durable: written with the change, delivered by whichever worker comes', () => {
  const receiver = new Receiver();
  let db: { url: string; drop: () => Promise<void> };
  let worker: TestApp | undefined;

  beforeAll(async () => {
    await receiver.start();
    db = await freshDatabase();
  });
  afterAll(async () => {
    await worker?.close();
    await receiver.stop();
    await db?.drop();
  });

  it('events committed while no worker runs are delivered later, in order; a delivery that keeps failing ends failed and the next goes', async () => {
    const webhooks = { retryBaseSeconds: 1, maxAttempts: 3, timeoutSeconds: 5, allowPrivate: true };
    // 1. an API process without workers: the changes commit, nobody delivers
    const api = await startTestApp({ runWorkers: false, databaseUrl: db.url, auth: { jwtSecret: SECRET }, webhooks });
    const dave = new Http(api.baseUrl, await token('dave'));
    const ok = (await dave.post('/api/webhooks', { url: `${receiver.base}/ok`, events: ['job.created'] })).body;
    const dead = (await dave.post('/api/webhooks', { url: `${receiver.base}/dead`, events: ['job.created'] })).body;
    const deploymentId = (await dave.post('/api/deployments', { name: 'd', programs: PROGRAMS })).body.id;
    const deviceId = (await dave.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++)
      jobs.push((await dave.post('/api/jobs', { deploymentId, deviceId, shots: 4 })).body.id as string);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests).toEqual([]);
    expect((await dave.get(`/api/webhooks/${ok.id}/deliveries`)).body.total).toBe(0);
    await api.close(); // the process goes away before anything was delivered

    // 2. a worker process on the same database finds the pending deliveries and sends them
    receiver.answer = (r) => (r.path === '/dead' ? 503 : 200);
    worker = await startTestApp({ runWorkers: true, databaseUrl: db.url, auth: { jwtSecret: SECRET }, webhooks });
    const user = new Http(worker.baseUrl, await token('dave'));
    const okJobs = await waitUntil(async () => {
      const got = receiver.at('/ok').map((r) => r.body.payload.jobId as string);
      return got.length >= 3 ? got : null;
    }, 'the three job.created at /ok');
    expect(okJobs).toEqual(jobs); // in commit order
    for (const r of receiver.at('/ok')) expect(verify(ok.secret, r)).toBe(true);

    // /dead answers 503 every time: 3 attempts (after 1 s, then 2 s), then failed, then the next event
    const log = await waitUntil(
      async () => {
        const r = await user.get(`/api/webhooks/${dead.id}/deliveries?limit=100`);
        return r.body.total >= 4 ? r.body : null;
      },
      'the first delivery to /dead to fail and the second to start',
      30_000,
    );
    const attempts = [...log.items].reverse();
    const first = attempts.filter((a: any) => a.deliveryId === attempts[0].deliveryId);
    expect(first.map((a: any) => [a.attempt, a.status, a.deliveryState])).toEqual([
      [1, 503, 'failed'],
      [2, 503, 'failed'],
      [3, 503, 'failed'],
    ]);
    const gaps = [1, 2].map((i) => Date.parse(first[i].at) - Date.parse(first[i - 1].at));
    expect(gaps[0]).toBeGreaterThanOrEqual(900); // base
    expect(gaps[1]).toBeGreaterThanOrEqual(1900); // doubled
    const deadBodies = receiver.at('/dead');
    expect(deadBodies.slice(0, 3).every((r) => r.body.payload.jobId === jobs[0])).toBe(true);
    expect(new Set(deadBodies.slice(0, 3).map((r) => r.headers['qunest-delivery'])).size).toBe(1);
    expect(deadBodies[3].body.payload.jobId).toBe(jobs[1]);
  }, 90_000);
});
