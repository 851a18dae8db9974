import { JobsService } from '../src/jobs/jobs.service';
import { connectQunest, type QunestSocket } from '../src/realtime/client';
import { REALTIME_LIMITS, RealtimeGateway, type RealtimeLimits } from '../src/realtime/realtime.gateway';
import type { ServerEventName } from '../src/realtime/realtime.contract';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http, waitUntil } from './helpers/http';

/**
 * A client that stops reading must not hold up the others, nor make the server buffer without
 * bound: once its outgoing buffer passes the limit, the gateway closes its connection ("forced
 * close", not the heartbeat's "ping timeout"), while a healthy client receives every event.
 * The slow client is real: its TCP socket stops reading, so the kernel buffers fill up and then
 * engine.io's own queue grows.
 */
describe('realtime gateway and slow clients', () => {
  let t: TestApp;
  let http: Http;
  let jobs: JobsService;
  const sockets: QunestSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ runWorkers: false });
    http = new Http(t.baseUrl);
    jobs = t.get(JobsService);
    // Few but large packets fill the kernel's buffers quickly; then ten more queued is "too slow".
    t.get<RealtimeLimits>(REALTIME_LIMITS).maxBufferedPackets = 10;
  });
  afterAll(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    await t?.close();
  });

  async function connect(): Promise<QunestSocket> {
    const s = connectQunest(t.baseUrl, { socket: { transports: ['websocket'], reconnection: false } });
    sockets.push(s);
    await s.ready();
    return s;
  }

  it('closes a client that does not read, and keeps delivering to the others', async () => {
    const deviceId = (await http.get('/api/devices?provider=LOCAL')).body.items.find(
      (d: { name: string }) => d.name === 'statevector-simulator',
    ).id;
    const deploymentId = (
      await http.post('/api/deployments', {
        name: 'big',
        programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
      })
    ).body.id;
    const id = (await http.post('/api/jobs', { deploymentId, deviceId, shots: 10 })).body.id as string;
    await jobs.start(id);

    const healthy = await connect();
    const slow = await connect();
    const received: { name: ServerEventName; payload: any }[] = [];
    healthy.onAny((name: ServerEventName, payload: unknown) => received.push({ name, payload }));
    expect((await healthy.subscribe({ jobId: id })).ok).toBe(true);
    expect((await slow.subscribe({ jobId: id })).ok).toBe(true);

    const serverSide = t.get<RealtimeGateway>(RealtimeGateway).io!.sockets.sockets.get(slow.id!)!;
    expect(serverSide).toBeDefined();
    let reason: string | undefined;
    serverSide.on('disconnect', (r: string) => (reason = r));

    // The slow client's TCP socket stops reading (ws's underlying net.Socket).
    const tcp = (slow.io.engine.transport as unknown as { ws: { _socket: { pause(): void } } }).ws._socket;
    tcp.pause();

    // 40 results of 400 KB: 16 MB for each subscriber, far beyond what the kernel buffers for a reader that stopped.
    const blob = 'x'.repeat(400_000);
    const results = Array.from({ length: 40 }, (_, i) => ({ resultType: 'COUNTS' as const, data: { i, blob } }));
    await jobs.saveResults(id, results);

    await waitUntil(
      async () => received.some((e) => e.name === 'job.state' && e.payload.state === 'FINISHED'),
      'FINISHED at the healthy client',
      60_000,
    );
    const mine = received.filter((e) => e.payload.jobId === id);
    expect(mine.filter((e) => e.name === 'job.result').map((e) => e.payload.result.data.i)).toEqual(
      results.map((_, i) => i),
    );
    expect(mine.map((e) => e.payload.seq)).toEqual(mine.map((_, i) => 3 + i));

    await waitUntil(async () => reason, 'the slow socket to be closed', 60_000);
    expect(reason).toBe('forced close');
    expect(healthy.connected).toBe(true);
  });
});
