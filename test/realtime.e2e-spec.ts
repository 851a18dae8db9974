import { connectQunest, type QunestSocket } from '../src/realtime/client';
import type { DeploymentSnapshot, JobSnapshot, ServerEventName } from '../src/realtime/realtime.contract';
import { JobsService } from '../src/jobs/jobs.service';
import { RealtimeGateway } from '../src/realtime/realtime.gateway';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

interface Received {
  name: ServerEventName;
  payload: any;
}

/** Records every server event a socket receives, in order. */
function record(socket: QunestSocket): Received[] {
  const out: Received[] = [];
  socket.onAny((name: ServerEventName, payload: unknown) => out.push({ name, payload }));
  return out;
}

const ofJob = (events: Received[], jobId: string) => events.filter((e) => e.payload?.jobId === jobId);

async function until(events: Received[], what: string, pred: (e: Received) => boolean): Promise<Received> {
  return waitUntil(async () => events.find(pred), what);
}

const isState = (jobId: string, state: string) => (e: Received) =>
  e.name === 'job.state' && e.payload.jobId === jobId && e.payload.state === state;

const PROGRAMS = [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }];

/**
 * The socket.io gateway end to end: real app on a random port, real PostgreSQL, socket.io-client.
 * State changes are driven through JobsService (the worker's own use cases) so that every step is
 * deterministic; the events come from the outbox after commit, as in production.
 */
describe('realtime gateway', () => {
  let t: TestApp;
  let http: Http;
  let jobs: JobsService;
  let deploymentId: string;
  let deviceId: string;
  const sockets: QunestSocket[] = [];

  async function connect(app: TestApp = t, token?: string): Promise<QunestSocket> {
    const s = connectQunest(app.baseUrl, { token, socket: { transports: ['websocket'], reconnection: false } });
    sockets.push(s);
    await s.ready();
    return s;
  }

  async function newJob(depId = deploymentId): Promise<string> {
    const res = await http.post('/api/jobs', { deploymentId: depId, deviceId, shots: 10 });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
    jobs = t.get(JobsService);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    deploymentId = (await http.post('/api/deployments', { name: 'rt', programs: PROGRAMS })).body.id;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  afterAll(() => t?.close());

  it('streams a job: RUNNING, rising progress, results, FINISHED, with consecutive seq after the snapshot', async () => {
    const id = await newJob();
    const socket = await connect();
    const events = record(socket);
    const ack = await socket.subscribe({ jobId: id });
    expect(ack.ok).toBe(true);
    const snap = (ack as { snapshot: JobSnapshot }).snapshot;
    expect(snap.job).toMatchObject({ id, state: 'READY', progress: 0, seq: 1, deploymentId, deviceId, ownerId: null });
    expect(snap.results).toEqual([]);

    await jobs.start(id);
    await jobs.updateProgress(id, 10);
    await jobs.updateProgress(id, 50);
    await jobs.updateProgress(id, 90);
    await jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '00': 6, '11': 4 }, meta: { shots: 10 } }]);
    await until(events, 'FINISHED', isState(id, 'FINISHED'));

    const mine = ofJob(events, id);
    expect(mine.map((e) => e.name)).toEqual([
      'job.state',
      'job.progress',
      'job.progress',
      'job.progress',
      'job.result',
      'job.state',
    ]);
    expect(mine.map((e) => e.payload.seq)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(mine[0].payload).toMatchObject({ jobId: id, deploymentId, deviceId, state: 'RUNNING', progress: 0 });
    expect(mine.slice(1, 4).map((e) => e.payload.progress)).toEqual([10, 50, 90]);
    expect(mine[4].payload.result).toMatchObject({
      resultType: 'COUNTS',
      data: { '00': 6, '11': 4 },
      meta: { shots: 10 },
    });
    expect(mine[5].payload).toMatchObject({ state: 'FINISHED', progress: 100 });
    expect(typeof mine[5].payload.at).toBe('string');

    // A later subscriber's snapshot holds the results and the last seq.
    const late = await connect();
    const again = (await late.subscribe({ jobId: id })) as { ok: true; snapshot: JobSnapshot };
    expect(again.snapshot.job).toMatchObject({ state: 'FINISHED', progress: 100, seq: 7 });
    expect(again.snapshot.results.map((r) => r.resultType)).toEqual(['COUNTS']);
  });

  it('an error yields job.error and then ERROR', async () => {
    const id = await newJob();
    const socket = await connect();
    const events = record(socket);
    expect((await socket.subscribe({ jobId: id })).ok).toBe(true);
    await jobs.start(id);
    await jobs.saveError(id, new Error('the circuit is too wide'));
    await until(events, 'ERROR', isState(id, 'ERROR'));
    const mine = ofJob(events, id);
    expect(mine.map((e) => e.name)).toEqual(['job.state', 'job.error', 'job.state']);
    expect(mine.map((e) => e.payload.seq)).toEqual([2, 3, 4]);
    expect(mine[1].payload).toMatchObject({ message: 'the circuit is too wide', programId: null });
  });

  it('a cancel through the API yields CANCELED', async () => {
    const id = await newJob();
    const socket = await connect();
    const events = record(socket);
    expect((await socket.subscribe({ jobId: id })).ok).toBe(true);
    await jobs.start(id);
    expect((await http.post(`/api/jobs/${id}/cancel`)).status).toBe(200);
    await until(events, 'CANCELED', isState(id, 'CANCELED'));
    expect(ofJob(events, id).map((e) => [e.name, e.payload.state, e.payload.seq])).toEqual([
      ['job.state', 'RUNNING', 2],
      ['job.state', 'CANCELED', 3],
    ]);
  });

  it('a deployment subscription sees its jobs, old and new, and nothing of other deployments', async () => {
    const other = (await http.post('/api/deployments', { name: 'other', programs: PROGRAMS })).body.id as string;
    const dep = (await http.post('/api/deployments', { name: 'watched', programs: PROGRAMS })).body.id as string;
    const before = await newJob(dep);
    const socket = await connect();
    const events = record(socket);
    const ack = (await socket.subscribe({ deploymentId: dep })) as { ok: true; snapshot: DeploymentSnapshot };
    expect(ack.ok).toBe(true);
    expect(ack.snapshot.deployment).toMatchObject({ id: dep, name: 'watched' });
    expect(ack.snapshot.jobs).toEqual([{ id: before, state: 'READY', progress: 0, seq: 1 }]);
    expect(ack.snapshot.totalJobs).toBe(1);

    const foreign = await newJob(other);
    const after = await newJob(dep);
    await jobs.start(foreign);
    await jobs.start(before);
    await jobs.saveResults(after, [{ resultType: 'COUNTS', data: { '00': 10 } }]);
    await until(events, 'FINISHED of the new job', isState(after, 'FINISHED'));
    await until(events, 'RUNNING of the old job', isState(before, 'RUNNING'));

    expect(ofJob(events, foreign)).toEqual([]);
    expect(ofJob(events, before).map((e) => [e.name, e.payload.seq])).toEqual([['job.state', 2]]);
    expect(ofJob(events, after).map((e) => [e.name, e.payload.seq])).toEqual([
      ['job.created', 1],
      ['job.result', 2],
      ['job.state', 3],
    ]);

    // deployment.updated reaches the deployment's subscribers too.
    expect((await http.put(`/api/deployments/${dep}`, { name: 'renamed', programs: PROGRAMS })).status).toBe(200);
    const upd = await until(events, 'deployment.updated', (e) => e.name === 'deployment.updated');
    expect(upd.payload).toMatchObject({ deploymentId: dep, name: 'renamed' });

    expect(await socket.unsubscribe({ deploymentId: dep })).toEqual({ ok: true });
    expect(await socket.unsubscribe({ deploymentId: dep })).toEqual({ ok: false, error: 'not subscribed' });
  });

  it('a transaction that rolls back pushes nothing: the next event continues the seq', async () => {
    const id = await newJob();
    const socket = await connect();
    const events = record(socket);
    expect((await socket.subscribe({ jobId: id })).ok).toBe(true);
    await jobs.start(id);
    // PostgreSQL refuses \u0000 in jsonb: the whole unit of work (results, state, outbox rows) rolls back.
    await expect(
      jobs.saveResults(id, [
        { resultType: 'COUNTS', data: { '00': 1 } },
        { resultType: 'PROBABILITIES', data: { bad: 'nul\u0000byte' } },
      ]),
    ).rejects.toThrow();
    await jobs.updateProgress(id, 40);
    await until(events, 'progress 40', (e) => e.name === 'job.progress' && e.payload.jobId === id);
    expect(ofJob(events, id).map((e) => [e.name, e.payload.seq])).toEqual([
      ['job.state', 2],
      ['job.progress', 3],
    ]);
  });

  it('a client that reconnects mid-job catches up from its snapshot', async () => {
    const id = await newJob();
    const first = await connect();
    const firstEvents = record(first);
    expect((await first.subscribe({ jobId: id })).ok).toBe(true);
    await jobs.start(id);
    await jobs.updateProgress(id, 20);
    await until(firstEvents, 'progress 20', (e) => e.name === 'job.progress' && e.payload.progress === 20);
    first.disconnect();

    await jobs.updateProgress(id, 60); // missed while away: seq 4

    const second = await connect();
    const events = record(second);
    const ack = (await second.subscribe({ jobId: id })) as { ok: true; snapshot: JobSnapshot };
    expect(ack.snapshot.job).toMatchObject({ state: 'RUNNING', progress: 60, seq: 4 });
    await jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '11': 10 } }]);
    await until(events, 'FINISHED', isState(id, 'FINISHED'));
    expect(ofJob(events, id).map((e) => [e.name, e.payload.seq])).toEqual([
      ['job.result', 5],
      ['job.state', 6],
    ]);
  });

  it('the client helper subscribes again after a reconnect and hands over the fresh snapshot', async () => {
    const id = await newJob();
    const acks: { target: unknown; ack: any }[] = [];
    const socket = connectQunest(t.baseUrl, {
      socket: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 100 },
      onResubscribe: (target, ack) => acks.push({ target, ack }),
    });
    sockets.push(socket);
    await socket.ready();
    const events = record(socket);
    expect((await socket.subscribe({ jobId: id })).ok).toBe(true);
    await jobs.start(id);
    await until(events, 'RUNNING', isState(id, 'RUNNING'));

    // The server drops the connection (as it does for a client that does not keep up).
    const serverSide = t.get<RealtimeGateway>(RealtimeGateway).io!.sockets.sockets.get(socket.id!)!;
    serverSide.conn.close(true);
    await jobs.updateProgress(id, 30); // seq 3, committed while the client may be away
    await waitUntil(async () => acks.length > 0, 'the resubscription');
    expect(acks[0].target).toEqual({ jobId: id });
    // The reconnect may come before or after that commit: the snapshot says which, and the events continue from it.
    const snap = acks[0].ack.snapshot.job;
    expect(acks[0].ack.ok).toBe(true);
    expect([snap.seq, snap.progress]).toEqual(snap.seq === 3 ? [3, 30] : [2, 0]);
    await jobs.updateProgress(id, 70); // seq 4
    await until(events, 'progress 70', (e) => e.name === 'job.progress' && e.payload.progress === 70);
    const after = ofJob(events, id).filter((e) => e.payload.seq > snap.seq);
    expect(after.map((e) => e.payload.seq)).toEqual(snap.seq === 3 ? [4] : [3, 4]);
  });

  it('subscribing while events flow gives a snapshot and then exactly the later events, in seq order', async () => {
    const id = await newJob();
    await jobs.start(id); // seq 2
    const socket = await connect();
    const events = record(socket);
    let ackedAt = -1;
    // Progress commits race the subscription: whatever the snapshot includes is not sent again.
    const writes = (async () => {
      for (let p = 1; p <= 40; p++) await jobs.updateProgress(id, p); // seq 3..42
      await jobs.saveResults(id, [{ resultType: 'COUNTS', data: { '00': 10 } }]); // seq 43, 44
    })();
    // The raw emit's ack callback runs when the ack packet is read, in order with the event packets.
    const ack = await new Promise<{ ok: true; snapshot: JobSnapshot }>((resolve) =>
      socket.emit('subscribe', { jobId: id }, (reply) => {
        ackedAt = events.length;
        resolve(reply as { ok: true; snapshot: JobSnapshot });
      }),
    );
    await writes;
    await until(events, 'FINISHED', isState(id, 'FINISHED'));
    expect(ackedAt).toBe(0); // nothing arrives before the ack
    const seqs = ofJob(events, id).map((e) => e.payload.seq);
    const from = ack.snapshot.job.seq + 1;
    expect(seqs).toEqual(Array.from({ length: 44 - from + 1 }, (_, i) => from + i));
  });

  it('answers bad targets and unknown ids with ok: false', async () => {
    const socket = await connect();
    expect(await socket.subscribe({ jobId: 'nope' })).toEqual({ ok: false, error: 'jobId must be a UUID' });
    expect(await socket.subscribe({ jobId: '0190a000-0000-7000-8000-000000000000' })).toEqual({
      ok: false,
      error: 'not found',
    });
    expect((await socket.subscribe({ jobId: 'x', deviceId: 'y' } as never)).ok).toBe(false);
    // In open mode (no key source) the anonymous user is the admin and may follow everything.
    const all = await socket.subscribe({ all: true });
    expect(all).toMatchObject({ ok: true, snapshot: { connections: expect.any(Number) } });
    const dev = await socket.subscribe({ deviceId });
    expect(dev).toMatchObject({ ok: true, snapshot: { device: { id: deviceId, status: 'online' } } });
  });

  it('delivers to subscribers of two API instances on one database', async () => {
    const t2 = await startTestApp({ databaseUrl: t.config.databaseUrl, runWorkers: false });
    try {
      const id = await newJob();
      const a = await connect(t);
      const b = await connect(t2);
      const ea = record(a);
      const eb = record(b);
      expect((await a.subscribe({ jobId: id })).ok).toBe(true);
      expect((await b.subscribe({ jobId: id })).ok).toBe(true);
      await jobs.start(id); // committed through instance 1
      await t2.get<JobsService>(JobsService).saveResults(id, [{ resultType: 'COUNTS', data: { '00': 10 } }]); // instance 2
      await until(ea, 'FINISHED on instance 1', isState(id, 'FINISHED'));
      await until(eb, 'FINISHED on instance 2', isState(id, 'FINISHED'));
      const expected = [
        ['job.state', 2],
        ['job.result', 3],
        ['job.state', 4],
      ];
      expect(ofJob(ea, id).map((e) => [e.name, e.payload.seq])).toEqual(expected);
      expect(ofJob(eb, id).map((e) => [e.name, e.payload.seq])).toEqual(expected);
    } finally {
      for (const s of sockets.splice(0)) s.disconnect();
      await t2.close();
    }
  });
});
