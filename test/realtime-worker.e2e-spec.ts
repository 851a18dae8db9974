import { connectQunest, type QunestSocket } from '../src/realtime/client';
import type { DeploymentSnapshot, JobSnapshot, ServerEventName } from '../src/realtime/realtime.contract';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';
import { longQasm3 } from './helpers/circuits';

interface Received {
  name: ServerEventName;
  payload: any;
}

/**
 * Jobs run by the real queue and workers, followed over socket.io. The deployment is subscribed
 * before the job is submitted, so the client sees the job's whole life from job.created (seq 1).
 */
describe('realtime gateway with real workers', () => {
  let t: TestApp;
  let http: Http;
  let deviceId: string;
  const sockets: QunestSocket[] = [];

  async function connect(): Promise<QunestSocket> {
    const s = connectQunest(t.baseUrl, { socket: { transports: ['websocket'], reconnection: false } });
    sockets.push(s);
    await s.ready();
    return s;
  }

  function record(socket: QunestSocket): Received[] {
    const out: Received[] = [];
    socket.onAny((name: ServerEventName, payload: unknown) => out.push({ name, payload }));
    return out;
  }

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: true, workerConcurrency: 1 });
    http = new Http(t.baseUrl);
    deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await t?.close();
  });

  it('streams a real run: created, RUNNING, rising progress, results, FINISHED, seq one by one', async () => {
    const dep = await http.post('/api/deployments', {
      name: 'live',
      programs: [
        { quantumCircuit: longQasm3(20, 60), assemblerLanguage: 'QASM3' },
        { quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' },
      ],
    });
    expect(dep.status).toBe(201);
    const socket = await connect();
    const events = record(socket);
    const ack = (await socket.subscribe({ deploymentId: dep.body.id })) as { ok: true; snapshot: DeploymentSnapshot };
    expect(ack.snapshot.jobs).toEqual([]);

    const res = await http.post('/api/jobs', { deploymentId: dep.body.id, deviceId, shots: 100 });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const finished = await waitUntil(
      async () =>
        events.find(
          (e) => e.name === 'job.state' && e.payload.jobId === id && ['FINISHED', 'ERROR'].includes(e.payload.state),
        ),
      'the end of the job',
      120_000,
    );
    expect(finished.payload.state).toBe('FINISHED');

    const mine = events.filter((e) => e.payload.jobId === id);
    expect(mine.map((e) => e.payload.seq)).toEqual(mine.map((_, i) => i + 1));
    expect(mine[0].name).toBe('job.created');
    expect(mine[1]).toMatchObject({ name: 'job.state', payload: { state: 'RUNNING' } });
    const progress = mine.filter((e) => e.name === 'job.progress').map((e) => e.payload.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    // Results (one a program at least) come before the terminal state, which is last.
    const names = mine.map((e) => e.name);
    const firstResult = names.indexOf('job.result');
    expect(firstResult).toBeGreaterThan(names.lastIndexOf('job.progress'));
    expect(names.slice(firstResult, -1).every((n) => n === 'job.result')).toBe(true);
    expect(names.at(-1)).toBe('job.state');

    // A subscriber arriving now gets the same end in its snapshot.
    const late = await connect();
    const snap = (await late.subscribe({ jobId: id })) as { ok: true; snapshot: JobSnapshot };
    expect(snap.snapshot.job).toMatchObject({ state: 'FINISHED', progress: 100, seq: mine.length });
    // (Compared as sets: the snapshot lists results by id, and ids made in the same millisecond need not sort in insertion order.)
    const resultIds = mine.filter((e) => e.name === 'job.result').map((e) => e.payload.result.id as string);
    expect(snap.snapshot.results.map((r) => r.id).sort()).toEqual(resultIds.sort());
  });
});
