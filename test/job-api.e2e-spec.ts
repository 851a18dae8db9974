import { EntityManager } from '@mikro-orm/postgresql';
import { SignJWT } from 'jose';
import { deleteExpiredIdempotencyKeys } from '../src/common/idempotency';
import { UPLOADS_PER_USER } from '../src/deployments/program-validator';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

const SECRET = 'e2e-job-api-secret-0123456789-abcdefghijklmnop';

function token(sub: string, extra: Record<string, unknown> = {}) {
  return new SignJWT({ sub, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(new TextEncoder().encode(SECRET));
}

const bell = (name: string) => ({ name, programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] });
const KEY = 'Idempotency-Key';

describe('job API: idempotent submission, tags and search, event history', () => {
  let t: TestApp;
  let anon: Http;
  let alice: Http;
  let bob: Http;
  let admin: Http;
  let deviceId: string;
  /** alice's deployment, and a public one (anonymous upload) that everyone can submit to. */
  let dA: string;
  let dP: string;

  const submit = async (who: Http, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    who.post('/api/jobs', { deviceId, shots: 16, ...body }, headers);

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, auth: { jwtSecret: SECRET } });
    anon = new Http(t.baseUrl);
    alice = anon.as(await token('alice'));
    bob = anon.as(await token('bob'));
    admin = anon.as(await token('root', { roles: ['admin'] }));
    deviceId = (await anon.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    dA = (await alice.post('/api/deployments', bell('alice'))).body.id;
    dP = (await anon.post('/api/deployments', bell('public'))).body.id;
    expect(dA).toBeDefined();
    expect(dP).toBeDefined();
  });
  afterAll(() => t?.close());

  describe('Idempotency-Key', () => {
    it('10 racing submissions with one key and one body create one job, and all answer it', async () => {
      const body = { deploymentId: dA, name: 'race', tags: ['idem-race'] };
      const replies = await Promise.all(Array.from({ length: 10 }, () => submit(alice, body, { [KEY]: 'race-key-1' })));
      expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
      const ids = new Set(replies.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      const listed = await alice.get('/api/jobs?tag=idem-race');
      expect(listed.body.total).toBe(1);
      expect(listed.body.items[0].id).toBe(replies[0].body.id);
      // a later replay, after the job may have run: the same job, as it is now
      const later = await submit(alice, body, { [KEY]: 'race-key-1' });
      expect(later.status).toBe(201);
      expect(later.body.id).toBe(replies[0].body.id);
    });

    it('the same key with another body answers 422 naming Idempotency-Key', async () => {
      const first = await submit(alice, { deploymentId: dA, name: 'first' }, { [KEY]: 'key-422' });
      expect(first.status).toBe(201);
      const other = await submit(alice, { deploymentId: dA, name: 'second' }, { [KEY]: 'key-422' });
      expect(other.status).toBe(422);
      expect(other.body.field).toBe(KEY);
      expect(other.body.message).toContain(KEY);
      // field order does not make another body
      const reordered = await alice.post(
        '/api/jobs',
        { name: 'first', shots: 16, deploymentId: dA, deviceId },
        {
          [KEY]: 'key-422',
        },
      );
      expect(reordered.status).toBe(201);
      expect(reordered.body.id).toBe(first.body.id);
    });

    it('a malformed key answers 400 naming Idempotency-Key, and creates nothing', async () => {
      for (const bad of ['', 'with space', 'x'.repeat(256), 'tab\there', 'é']) {
        const r = await submit(alice, { deploymentId: dA, tags: ['bad-key'] }, { [KEY]: bad });
        expect(r.status).toBe(400);
        expect(r.body.errors[0].field).toBe(KEY);
        expect(r.body.message).toContain(KEY);
      }
      const ok = await submit(alice, { deploymentId: dA, tags: ['bad-key'] }, { [KEY]: 'x'.repeat(255) });
      expect(ok.status).toBe(201);
      expect((await alice.get('/api/jobs?tag=bad-key')).body.total).toBe(1);
    });

    it('keys are per user: the same key and body of another user creates another job', async () => {
      const body = { deploymentId: dP, tags: ['per-user'] };
      const a = await submit(alice, body, { [KEY]: 'shared-key' });
      const b = await submit(bob, body, { [KEY]: 'shared-key' });
      const a2 = await submit(alice, body, { [KEY]: 'shared-key' });
      expect([a.status, b.status, a2.status]).toEqual([201, 201, 201]);
      expect(b.body.id).not.toBe(a.body.id);
      expect(a2.body.id).toBe(a.body.id);
      expect(b.body.executedBy).toBe('bob');
      // anonymous callers share one key space
      const n1 = await submit(anon, body, { [KEY]: 'anon-key' });
      const n2 = await submit(anon, body, { [KEY]: 'anon-key' });
      expect(n2.body.id).toBe(n1.body.id);
    });

    it('a key expires after 24 h: then it makes a new job, whatever the body, and the cleanup deletes it', async () => {
      const em = t.get<EntityManager>(EntityManager).fork();
      const first = await submit(alice, { deploymentId: dA, name: 'old' }, { [KEY]: 'expiring' });
      expect(first.status).toBe(201);
      const age = (hours: number) =>
        em
          .getConnection()
          .execute(
            `update idempotency_key set created_at = now() - make_interval(hours => ?) where owner = 'alice' and key = 'expiring'`,
            [hours],
          );
      await age(23);
      expect((await submit(alice, { deploymentId: dA, name: 'new' }, { [KEY]: 'expiring' })).status).toBe(422);
      await age(25);
      const again = await submit(alice, { deploymentId: dA, name: 'new' }, { [KEY]: 'expiring' });
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(first.body.id);
      expect((await submit(alice, { deploymentId: dA, name: 'new' }, { [KEY]: 'expiring' })).body.id).toBe(
        again.body.id,
      );
      await age(25);
      expect(await deleteExpiredIdempotencyKeys(em)).toBeGreaterThanOrEqual(1);
      const left = await em
        .getConnection()
        .execute(`select count(*)::int as n from idempotency_key where key = 'expiring'`);
      expect(left[0].n).toBe(0);
    });

    it('a failed submission does not use up its key', async () => {
      const missing = '00000000-0000-7000-8000-000000000000';
      const failed = await submit(alice, { deploymentId: missing }, { [KEY]: 'after-failure' });
      expect(failed.status).toBe(404);
      const ok = await submit(alice, { deploymentId: dA }, { [KEY]: 'after-failure' });
      expect(ok.status).toBe(201);
    });

    it('on POST /api/deployments too: racing uploads make one deployment; another body answers 422', async () => {
      // as many at once as one user may have in validation (more answer 429 before the key is looked at)
      const replies = await Promise.all(
        Array.from({ length: UPLOADS_PER_USER }, () =>
          alice.post('/api/deployments', bell('idem-dep'), { [KEY]: 'dep-key' }),
        ),
      );
      expect(replies.map((r) => r.status)).toEqual(Array(UPLOADS_PER_USER).fill(201));
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
      expect((await alice.get('/api/deployments?name=idem-dep')).body.total).toBe(1);
      const other = await alice.post('/api/deployments', bell('idem-dep-2'), { [KEY]: 'dep-key' });
      expect(other.status).toBe(422);
      expect(other.body.field).toBe(KEY);
      const bad = await alice.post('/api/deployments', bell('x'), { [KEY]: 'a b' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe(KEY);
    });

    it('is documented in OpenAPI on both endpoints', async () => {
      const doc = (await anon.get('/api/docs/openapi.json')).body;
      const params = (path: string) =>
        ((doc.paths[path].post.parameters ?? []) as { name: string; in: string }[]).filter((p) => p.in === 'header');
      expect(params('/api/jobs').map((p) => p.name)).toContain(KEY);
      expect(params('/api/deployments').map((p) => p.name)).toContain(KEY);
      expect(doc.paths['/api/jobs/{id}/tags'].put).toBeDefined();
      expect(doc.paths['/api/jobs/{id}/events'].get).toBeDefined();
    });
  });

  describe('tags and search', () => {
    it('validates tags (400 naming tags) and removes duplicates', async () => {
      const bad: unknown[] = [
        Array.from({ length: 17 }, (_, i) => `t${i}`),
        ['has space'],
        [''],
        ['x'.repeat(65)],
        ['ok', 'sl/ash'],
        'not-a-list',
        [1],
      ];
      for (const tags of bad) {
        const r = await submit(alice, { deploymentId: dA, tags });
        expect(r.status).toBe(400);
        expect(r.body.errors.map((e: { field: string }) => e.field)).toContain('tags');
      }
      const ok = await submit(alice, { deploymentId: dA, tags: ['A-z_0.9:x', 'dup', 'dup', 'x'.repeat(64)] });
      expect(ok.status).toBe(201);
      expect(ok.body.tags).toEqual(['A-z_0.9:x', 'dup', 'x'.repeat(64)]);
      const untagged = await submit(alice, { deploymentId: dA });
      expect(untagged.body.tags).toEqual([]);
      expect((await alice.get(`/api/jobs/${ok.body.id}`)).body.tags).toEqual(ok.body.tags);
    });

    describe('filters', () => {
      let xy: string, x: string, y: string;
      beforeAll(async () => {
        xy = (await submit(alice, { deploymentId: dA, name: 'Grover Search XY', tags: ['f:x', 'f:y'] })).body.id;
        await new Promise((r) => setTimeout(r, 20));
        x = (await submit(alice, { deploymentId: dA, name: 'grover-x', tags: ['f:x'] })).body.id;
        await new Promise((r) => setTimeout(r, 20));
        y = (await submit(alice, { deploymentId: dA, name: 'shor y', tags: ['f:y', 'f:z'] })).body.id;
      });

      const ids = (r: { body: { items: { id: string }[] } }) => r.body.items.map((i) => i.id);

      it('tag: jobs having all the given tags', async () => {
        expect(new Set(ids(await alice.get('/api/jobs?tag=f:x')))).toEqual(new Set([xy, x]));
        expect(ids(await alice.get('/api/jobs?tag=f:x&tag=f:y'))).toEqual([xy]);
        expect(ids(await alice.get('/api/jobs?tag=f:y&tag=f:z'))).toEqual([y]);
        expect((await alice.get('/api/jobs?tag=f:x&tag=f:z')).body.total).toBe(0);
        const bad = await alice.get('/api/jobs?tag=no%20spaces');
        expect(bad.status).toBe(400);
        expect(bad.body.errors[0].field).toBe('tag');
      });

      it('q: case-insensitive substring of the name, or a prefix of the id', async () => {
        expect(new Set(ids(await alice.get('/api/jobs?q=GROVER')))).toEqual(new Set([xy, x]));
        expect(ids(await alice.get('/api/jobs?q=search%20x'))).toEqual([xy]);
        expect(ids(await alice.get('/api/jobs?q=%25'))).toEqual([]); // LIKE wildcards are literal
        expect(ids(await alice.get(`/api/jobs?q=${y.slice(0, 23)}`))).toEqual([y]);
        expect(ids(await alice.get(`/api/jobs?q=${y.toUpperCase()}`))).toEqual([y]);
        // with the tag filter too
        expect(ids(await alice.get('/api/jobs?q=grover&tag=f:y'))).toEqual([xy]);
      });

      it('owner: the jobs of one owner, or `public`, among those the caller sees', async () => {
        const aliceSub = (await alice.get(`/api/jobs/${x}`)).body.executedBy as string;
        const mine = await admin.get(`/api/jobs?owner=${encodeURIComponent(aliceSub)}&tag=f:x`);
        expect(new Set(ids(mine))).toEqual(new Set([xy, x]));
        expect((await admin.get('/api/jobs?owner=nobody-at-all')).body.total).toBe(0);
        const publicJobs = (await admin.get('/api/jobs?owner=public&limit=100')).body.items as { executedBy: null }[];
        expect(publicJobs.every((j) => j.executedBy === null)).toBe(true);
        // a user sees no more than before: another owner's jobs stay hidden
        expect((await bob.get(`/api/jobs?owner=${encodeURIComponent(aliceSub)}`)).body.total).toBe(0);
        expect((await alice.get('/api/jobs?owner=')).status).toBe(400);
      });

      it('createdAfter and createdBefore (ISO 8601; 400 naming the field otherwise)', async () => {
        const created = (id: string) => alice.get(`/api/jobs/${id}`).then((r) => r.body.createdAt as string);
        const [cXy, cX, cY] = [await created(xy), await created(x), await created(y)];
        expect(cXy < cX && cX < cY).toBe(true);
        const after = await alice.get(`/api/jobs?tag=f:y&createdAfter=${encodeURIComponent(cX)}`);
        expect(ids(after)).toEqual([y]);
        const before = await alice.get(`/api/jobs?tag=f:x&createdBefore=${encodeURIComponent(cX)}`);
        expect(ids(before)).toEqual([xy]);
        const between = await alice.get(
          `/api/jobs?q=r&createdAfter=${encodeURIComponent(cXy)}&createdBefore=${encodeURIComponent(cY)}`,
        );
        expect(new Set(ids(between))).toEqual(new Set([xy, x]));
        for (const field of ['createdAfter', 'createdBefore']) {
          const bad = await alice.get(`/api/jobs?${field}=yesterday`);
          expect(bad.status).toBe(400);
          expect(bad.body.errors[0].field).toBe(field);
        }
      });

      it('sort createdAt or finishedAt, asc or desc; paging stays', async () => {
        expect(ids(await alice.get('/api/jobs?q=r&tag=f:x&sort=createdAt&order=asc'))).toEqual([xy, x]);
        expect(ids(await alice.get('/api/jobs?q=r&tag=f:x'))).toEqual([x, xy]);
        const page = await alice.get('/api/jobs?tag=f:y&order=asc&limit=1&offset=1');
        expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
        expect(ids(page)).toEqual([y]);
        const done = await waitUntil(async () => {
          const r = await alice.get('/api/jobs?tag=f:x&tag=f:y&sort=finishedAt');
          return r.body.items.every((j: { finishedAt: string | null }) => j.finishedAt) && r;
        }, 'the tagged jobs to finish');
        expect(done.status).toBe(200);
        await waitUntil(
          async () =>
            (await alice.get(`/api/jobs/${x}`)).body.finishedAt && (await alice.get(`/api/jobs/${y}`)).body.finishedAt,
          'all three to finish',
        );
        const byFinish = await alice.get('/api/jobs?q=r&tag=f:x&sort=finishedAt&order=asc');
        const finished = byFinish.body.items.map((j: { finishedAt: string }) => j.finishedAt);
        expect([...finished].sort()).toEqual(finished);
        const desc = await alice.get('/api/jobs?q=r&tag=f:x&sort=finishedAt&order=desc');
        expect(ids(desc)).toEqual(ids(byFinish).reverse());
        expect((await alice.get('/api/jobs?sort=startedAt')).status).toBe(400);
        expect((await alice.get('/api/jobs?order=up')).status).toBe(400);
      });
    });

    it('PUT /api/jobs/:id/tags: owners and admins; public jobs admins only; others 404', async () => {
      const mine = (await submit(alice, { deploymentId: dA, tags: ['old'] })).body.id;
      const pub = (await submit(anon, { deploymentId: dP, tags: ['public'] })).body.id;
      const put = (who: Http, id: string, tags: unknown) => who.request('PUT', `/api/jobs/${id}/tags`, { tags });

      const r = await put(alice, mine, ['new', 'new', 'other']);
      expect(r.status).toBe(200);
      expect(r.body.tags).toEqual(['new', 'other']);
      expect((await alice.get(`/api/jobs?tag=old`)).body.items.map((j: { id: string }) => j.id)).not.toContain(mine);
      expect((await alice.get(`/api/jobs?tag=new&tag=other`)).body.items[0].id).toBe(mine);

      expect((await put(bob, mine, ['x'])).status).toBe(404);
      expect((await put(anon, mine, ['x'])).status).toBe(404);
      expect((await put(bob, pub, ['x'])).status).toBe(403);
      expect((await put(anon, pub, ['x'])).status).toBe(403);
      const byAdmin = await put(admin, pub, []);
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.tags).toEqual([]);
      const bad = await put(alice, mine, ['bad tag']);
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('tags');
      expect((await put(alice, mine, undefined)).status).toBe(400);
      expect((await alice.get(`/api/jobs/${mine}`)).body.tags).toEqual(['new', 'other']);
    });

    it('rerun carries the tags over', async () => {
      const original = (await submit(alice, { deploymentId: dA, tags: ['rerun-me', 'b'] })).body.id;
      const rerun = await alice.post(`/api/jobs/${original}/rerun`);
      expect(rerun.status).toBe(201);
      expect(rerun.body.tags).toEqual(['rerun-me', 'b']);
      expect((await alice.get('/api/jobs?tag=rerun-me')).body.total).toBe(2);
    });
  });

  describe('event history', () => {
    it("a finished job's committed events in seq order, without gaps; afterSeq and paging; kept after the outbox is emptied", async () => {
      const id = (await submit(alice, { deploymentId: dA, name: 'history', shots: 256, seed: 7 })).body.id;
      await waitUntil(async () => (await alice.get(`/api/jobs/${id}`)).body.state === 'FINISHED', 'the job to finish');
      const all = await alice.get(`/api/jobs/${id}/events?limit=100`);
      expect(all.status).toBe(200);
      const items = all.body.items as { seq: number; name: string; payload: Record<string, unknown>; at: string }[];
      expect(all.body).toMatchObject({ total: items.length, limit: 100, offset: 0 });
      expect(items.map((e) => e.seq)).toEqual(items.map((_, i) => i + 1));
      expect(items[0]).toMatchObject({ name: 'job.created', payload: { jobId: id, seq: 1, name: 'history' } });
      const last = items[items.length - 1];
      expect(last).toMatchObject({ name: 'job.state', payload: { state: 'FINISHED', progress: 100 } });
      expect(items.map((e) => e.name)).toContain('job.result');
      const result = items.find((e) => e.name === 'job.result')!.payload.result as { data: Record<string, number> };
      // the Bell state's counts, as the job's own result holds them
      const stored = (await alice.get(`/api/jobs/${id}/results`)).body[0];
      expect(result.data).toEqual(stored.data);
      expect(Object.keys(result.data).sort()).toEqual(['0x0', '0x3']);
      for (const e of items) {
        expect(e.payload.seq).toBe(e.seq);
        expect(Number.isNaN(Date.parse(e.at))).toBe(false);
      }
      // the seq the job's snapshot ends at is the last event's
      expect(items.some((e) => e.name === 'job.state' && e.payload.state === 'RUNNING')).toBe(true);

      const after = await alice.get(`/api/jobs/${id}/events?afterSeq=2`);
      expect(after.body.items.map((e: { seq: number }) => e.seq)).toEqual(items.slice(2).map((e) => e.seq));
      expect(after.body.total).toBe(items.length - 2);
      const paged = await alice.get(`/api/jobs/${id}/events?limit=1&offset=1`);
      expect(paged.body.items.map((e: { seq: number }) => e.seq)).toEqual([2]);
      expect((await alice.get(`/api/jobs/${id}/events?afterSeq=${items.length}`)).body).toMatchObject({
        items: [],
        total: 0,
      });
      expect((await alice.get(`/api/jobs/${id}/events?afterSeq=-1`)).status).toBe(400);

      // the outbox is short-lived; the history is not
      const em = t.get<EntityManager>(EntityManager).fork();
      await em.getConnection().execute(`delete from outbox_event where job_id = ?`, [id]);
      expect((await alice.get(`/api/jobs/${id}/events?limit=100`)).body.items).toEqual(items);

      // visibility as the job's: 404 for another user's private job, an admin sees it
      expect((await bob.get(`/api/jobs/${id}/events`)).status).toBe(404);
      expect((await anon.get(`/api/jobs/${id}/events`)).status).toBe(404);
      expect((await admin.get(`/api/jobs/${id}/events?limit=100`)).body.total).toBe(items.length);
      expect((await alice.get(`/api/jobs/not-a-uuid/events`)).status).toBe(404);

      // deleting the job deletes its history
      expect((await alice.delete(`/api/jobs/${id}`)).status).toBe(204);
      const left = await em.getConnection().execute(`select count(*)::int as n from job_event where job_id = ?`, [id]);
      expect(left[0].n).toBe(0);
    });

    it('a public job: everyone sees its history; tag changes add no event', async () => {
      const id = (await submit(anon, { deploymentId: dP, tags: ['p'] })).body.id;
      await waitUntil(async () => (await anon.get(`/api/jobs/${id}`)).body.finishedAt, 'the public job to finish');
      const seen = await bob.get(`/api/jobs/${id}/events?limit=100`);
      expect(seen.status).toBe(200);
      expect(seen.body.items[0].seq).toBe(1);
      expect((await admin.request('PUT', `/api/jobs/${id}/tags`, { tags: ['q'] })).status).toBe(200);
      expect((await anon.get(`/api/jobs/${id}/events?limit=100`)).body.total).toBe(seen.body.total);
    });
  });
});
