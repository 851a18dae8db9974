import { SignJWT } from 'jose';
import { JobsService } from '../src/jobs/jobs.service';
import { connectQunest, type QunestSocket } from '../src/realtime/client';
import type {
  AllSnapshot,
  DeploymentSnapshot,
  DeviceSnapshot,
  ServerEventName,
} from '../src/realtime/realtime.contract';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

const SECRET = 'a'.repeat(32);

function token(sub: string, roles: string[] = []): Promise<string> {
  return new SignJWT({ sub, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

interface Received {
  name: ServerEventName;
  payload: any;
}

function record(socket: QunestSocket): Received[] {
  const out: Received[] = [];
  socket.onAny((name: ServerEventName, payload: unknown) => out.push({ name, payload }));
  return out;
}

const ofJob = (events: Received[], jobId: string) => events.filter((e) => e.payload?.jobId === jobId);
const isState = (jobId: string, state: string) => (e: Received) =>
  e.name === 'job.state' && e.payload.jobId === jobId && e.payload.state === state;
const until = (events: Received[], what: string, pred: (e: Received) => boolean) =>
  waitUntil(async () => events.find(pred), what);

/**
 * Ownership over socket.io, with HS256 tokens: a private job on a public deployment reaches its
 * owner and admins, never another user or anonymous subscribers of the same deployment or device.
 * "Never" is checked by order, not by waiting: each socket receives events in commit order, so once
 * it has received an event committed after the private job's last one, it would already hold those.
 */
describe('realtime gateway with authentication', () => {
  let t: TestApp;
  let http: Http;
  let jobs: JobsService;
  let deviceId: string;
  let deploymentId: string;
  let alice: string;
  let bob: string;
  let root: string;
  const sockets: QunestSocket[] = [];

  async function connect(tok?: string): Promise<QunestSocket> {
    const s = connectQunest(t.baseUrl, { token: tok, socket: { transports: ['websocket'], reconnection: false } });
    sockets.push(s);
    await s.ready();
    return s;
  }

  async function newJob(as: Http): Promise<string> {
    const res = await as.post('/api/jobs', { deploymentId, deviceId, shots: 10 });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false, auth: { jwtSecret: SECRET } });
    http = new Http(t.baseUrl);
    jobs = t.get(JobsService);
    [alice, bob, root] = await Promise.all([token('alice'), token('bob'), token('root', ['admin'])]);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    // A public deployment (anonymous), on which everyone may run jobs.
    const dep = await http.post('/api/deployments', {
      name: 'shared',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.body.deployedBy).toBeNull();
    deploymentId = dep.body.id;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(() => t?.close());

  it('refuses a bad token with the reason, and accepts a good one and none', async () => {
    const bad = connectQunest(t.baseUrl, {
      token: 'not.a.jwt',
      socket: { transports: ['websocket'], reconnection: false },
    });
    sockets.push(bad);
    await expect(bad.ready()).rejects.toThrow(/invalid token: token is malformed/);
    const forged = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('b'.repeat(32)));
    const wrong = connectQunest(t.baseUrl, {
      token: forged,
      socket: { transports: ['websocket'], reconnection: false },
    });
    sockets.push(wrong);
    await expect(wrong.ready()).rejects.toThrow(/signature does not verify/);
    expect((await connect(alice)).connected).toBe(true);
    expect((await connect()).connected).toBe(true);
  });

  it("keeps another user's private job and its events away from subscribers who may not see it", async () => {
    const bobsJob = await newJob(http.as(bob));
    const alicesJob = await newJob(http.as(alice));
    const publicJob = await newJob(http);

    const a = await connect(alice);
    const b = await connect(bob);
    const anon = await connect();
    const adm = await connect(root);
    const ea = record(a);
    const eb = record(b);
    const eanon = record(anon);
    const eadm = record(adm);

    // Bob's job cannot be subscribed by Alice or anonymously: the same answer as for a missing id.
    expect(await a.subscribe({ jobId: bobsJob })).toEqual({ ok: false, error: 'not found' });
    expect(await anon.subscribe({ jobId: bobsJob })).toEqual({ ok: false, error: 'not found' });
    expect((await b.subscribe({ jobId: bobsJob })).ok).toBe(true);

    // Deployment snapshots list only what each may see.
    const ids = async (s: QunestSocket) =>
      ((await s.subscribe({ deploymentId })) as { ok: true; snapshot: DeploymentSnapshot }).snapshot.jobs
        .map((j) => j.id)
        .sort();
    expect(await ids(a)).toEqual([alicesJob, publicJob].sort());
    expect(await ids(b)).toEqual([bobsJob, publicJob].sort());
    expect(await ids(anon)).toEqual([publicJob]);
    expect(await ids(adm)).toEqual([alicesJob, bobsJob, publicJob].sort());
    // Device subscriptions too (their snapshot lists the visible active jobs).
    const dev = (await a.subscribe({ deviceId })) as { ok: true; snapshot: DeviceSnapshot };
    expect(dev.snapshot.activeJobs.map((j) => j.id).sort()).toEqual([alicesJob, publicJob].sort());
    expect((await anon.subscribe({ deviceId })).ok).toBe(true);

    // Bob's job runs to the end; then Alice's and the public one start (committed later).
    await jobs.start(bobsJob);
    await jobs.updateProgress(bobsJob, 50);
    await jobs.saveResults(bobsJob, [{ resultType: 'COUNTS', data: { '00': 10 } }]);
    await jobs.start(alicesJob);
    await jobs.start(publicJob);

    await until(ea, 'public RUNNING at alice', isState(publicJob, 'RUNNING'));
    await until(eanon, 'public RUNNING at anonymous', isState(publicJob, 'RUNNING'));
    await until(eb, 'public RUNNING at bob', isState(publicJob, 'RUNNING'));
    await until(eadm, 'public RUNNING at admin', isState(publicJob, 'RUNNING'));

    expect(ofJob(ea, bobsJob)).toEqual([]);
    expect(ofJob(eanon, bobsJob)).toEqual([]);
    expect(ofJob(eanon, alicesJob)).toEqual([]);
    expect(ofJob(eb, alicesJob)).toEqual([]);
    expect(ofJob(ea, alicesJob).map((e) => e.payload.state)).toEqual(['RUNNING']);
    // Bob (job + deployment subscriptions, one delivery each) and the admin get all of Bob's events.
    const expected = [
      ['job.state', 2],
      ['job.progress', 3],
      ['job.result', 4],
      ['job.state', 5],
    ];
    expect(ofJob(eb, bobsJob).map((e) => [e.name, e.payload.seq])).toEqual(expected);
    expect(ofJob(eadm, bobsJob).map((e) => [e.name, e.payload.seq])).toEqual(expected);
    expect(ofJob(eb, bobsJob)[0].payload.ownerId).toBe('bob');
  });

  it('lets admins only follow everything', async () => {
    const a = await connect(alice);
    expect(await a.subscribe({ all: true })).toEqual({
      ok: false,
      error: 'forbidden: only admins may subscribe to all events',
    });
    const anon = await connect();
    expect((await anon.subscribe({ all: true })).ok).toBe(false);

    const adm = await connect(root);
    const ack = (await adm.subscribe({ all: true })) as { ok: true; snapshot: AllSnapshot };
    expect(ack.ok).toBe(true);
    expect(ack.snapshot.jobsByState.FINISHED).toBeGreaterThanOrEqual(1);
    const events = record(adm);
    const id = await newJob(http.as(bob));
    const created = await until(events, 'job.created', (e) => e.name === 'job.created' && e.payload.jobId === id);
    expect(created.payload).toMatchObject({ ownerId: 'bob', state: 'READY', seq: 1 });
  });
});
