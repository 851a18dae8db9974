import { request } from 'node:http';
import { SignJWT } from 'jose';
import { connectQunest, type QunestSocket } from '../src/realtime/client';
import { startTestApp, type TestApp } from './helpers/app';
import { BELL_QASM2, Http } from './helpers/http';

/**
 * Issue #15 item 9: other websites (Origin) and DNS rebinding (Host) against a service in open mode,
 * through real HTTP and socket.io-client. Clients without Origin (curl, servers, the other tests)
 * are untouched; the admin UI is same-origin (see also test/admin-ui.e2e-spec.ts).
 */

const EVIL = 'http://evil.example';
const ALLOWED = 'https://allowed.example';
const SECRET = 'e2e-origin-secret-0123456789-abcdefghijkl';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request with exactly these headers (Host and Origin included), through node:http. */
function raw(baseUrl: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const url = new URL(path, baseUrl);
  return new Promise<RawReply>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** A socket with these handshake headers; ready() settles with the connection or the server's refusal. */
function openSocket(
  baseUrl: string,
  sockets: QunestSocket[],
  headers: Record<string, string>,
  token?: string,
): QunestSocket {
  const s = connectQunest(baseUrl, {
    token,
    socket: { transports: ['websocket'], reconnection: false, extraHeaders: headers },
  });
  sockets.push(s);
  return s;
}

async function refusal(s: QunestSocket): Promise<string> {
  const err = await s.ready().then(
    () => undefined,
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(s.connected).toBe(false);
  return err!.message;
}

function hostOf(baseUrl: string, name: string): string {
  return `${name}:${new URL(baseUrl).port}`;
}

describe('origin and host checks in open mode (CORS_ORIGINS=https://allowed.example)', () => {
  let t: TestApp;
  let http: Http;
  let deploymentId: string;
  let jobId: string;
  const sockets: QunestSocket[] = [];

  const jobCount = async () => (await http.get('/api/jobs')).body.total as number;

  beforeAll(async () => {
    t = await startTestApp({ corsOrigins: [ALLOWED], runWorkers: false });
    http = new Http(t.baseUrl);
    const dep = await http.post('/api/deployments', {
      name: 'origin',
      programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }],
    });
    expect(dep.status).toBe(201);
    deploymentId = dep.body.id;
    const job = await http.post('/api/jobs', {
      deploymentId,
      providerName: 'LOCAL',
      deviceName: 'statevector-simulator',
      shots: 10,
    });
    expect(job.status).toBe(201);
    jobId = job.body.id;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  describe('sockets', () => {
    it('refuses a handshake from another website with a connect_error naming its origin', async () => {
      const s = openSocket(t.baseUrl, sockets, { origin: EVIL });
      expect(await refusal(s)).toBe(`Origin '${EVIL}' is not allowed; list it in CORS_ORIGINS`);
    });

    it('refuses Origin: null (sandboxed frames, file:// pages)', async () => {
      const s = openSocket(t.baseUrl, sockets, { origin: 'null' });
      expect(await refusal(s)).toBe("Origin 'null' is not allowed; list it in CORS_ORIGINS");
    });

    it('refuses a rebound host name in open mode', async () => {
      const s = openSocket(t.baseUrl, sockets, { host: hostOf(t.baseUrl, 'evil.example') });
      expect(await refusal(s)).toBe(
        `Host '${hostOf(t.baseUrl, 'evil.example')}' is not allowed; list its name in ALLOWED_HOSTS`,
      );
    });

    it('lets the service’s own origin, a listed origin and clients without Origin subscribe to everything', async () => {
      const cases: Record<string, string>[] = [
        { origin: t.baseUrl },
        { origin: ALLOWED },
        {},
        { host: hostOf(t.baseUrl, 'localhost') },
      ];
      for (const headers of cases) {
        const s = openSocket(t.baseUrl, sockets, headers);
        await s.ready();
        const ack = await s.subscribe({ all: true });
        expect(ack.ok).toBe(true);
        s.disconnect();
      }
    });
  });

  describe('state-changing requests from another website', () => {
    it('refuses a rerun with 403 naming the origin, and makes no job', async () => {
      const before = await jobCount();
      const r = await raw(t.baseUrl, 'POST', `/api/jobs/${jobId}/rerun`, {
        origin: EVIL,
        'content-type': 'application/json',
      });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: `Origin '${EVIL}' is not allowed; list it in CORS_ORIGINS`,
      });
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(await jobCount()).toBe(before);
    });

    it('refuses DELETE, PUT and PATCH too, and the deployment stays', async () => {
      const del = await raw(t.baseUrl, 'DELETE', `/api/deployments/${deploymentId}`, { origin: EVIL });
      expect(del.status).toBe(403);
      const put = await raw(
        t.baseUrl,
        'PUT',
        `/api/deployments/${deploymentId}`,
        { origin: EVIL, 'content-type': 'application/json' },
        JSON.stringify({ name: 'taken', programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] }),
      );
      expect(put.status).toBe(403);
      const devices = (await http.get('/api/devices')).body.items;
      const patch = await raw(
        t.baseUrl,
        'PATCH',
        `/api/devices/${devices[0].id}`,
        { origin: EVIL, 'content-type': 'application/json' },
        JSON.stringify({ status: 'OFFLINE' }),
      );
      expect(patch.status).toBe(403);
      const dep = await http.get(`/api/deployments/${deploymentId}`);
      expect(dep.status).toBe(200);
      expect(dep.body.name).toBe('origin');
    });

    it('answers a GET without CORS headers, so the page cannot read it', async () => {
      const r = await raw(t.baseUrl, 'GET', '/api/jobs', { origin: EVIL });
      expect(r.status).toBe(200);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('refuses the preflight of another website', async () => {
      const r = await raw(t.baseUrl, 'OPTIONS', '/api/jobs', {
        origin: EVIL,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      });
      expect(r.status).toBe(403);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('refuses the rebinding case (Origin and Host of the attacker) by its Host', async () => {
      const host = hostOf(t.baseUrl, 'evil.example');
      const r = await raw(t.baseUrl, 'POST', `/api/jobs/${jobId}/cancel`, { origin: `http://${host}`, host });
      expect(r.status).toBe(403);
      expect(r.body.message).toBe(`Host '${host}' is not allowed; list its name in ALLOWED_HOSTS`);
    });
  });

  describe('an origin of CORS_ORIGINS', () => {
    it('may create, with Access-Control-Allow-Origin on the answer', async () => {
      const r = await raw(
        t.baseUrl,
        'POST',
        '/api/deployments',
        { origin: ALLOWED, 'content-type': 'application/json' },
        JSON.stringify({ name: 'cross', programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] }),
      );
      expect(r.status).toBe(201);
      expect(r.body.name).toBe('cross');
      expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(r.headers['access-control-allow-credentials']).toBeUndefined();
      expect(String(r.headers.vary)).toMatch(/Origin/);
      const list = await raw(t.baseUrl, 'GET', '/api/deployments', { origin: ALLOWED });
      expect(list.headers['access-control-allow-origin']).toBe(ALLOWED);
    });

    it('gets its preflight answered with the allowed methods and headers', async () => {
      const r = await raw(t.baseUrl, 'OPTIONS', `/api/jobs/${jobId}`, {
        origin: ALLOWED,
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      });
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
      const methods = String(r.headers['access-control-allow-methods']).split(/,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      const headers = String(r.headers['access-control-allow-headers']).split(/,\s*/);
      expect(headers).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
    });

    it('gets CORS headers on socket.io long-polling and its preflight', async () => {
      const poll = await raw(t.baseUrl, 'GET', '/socket.io/?EIO=4&transport=polling', { origin: ALLOWED });
      expect(poll.status).toBe(200);
      expect(poll.headers['access-control-allow-origin']).toBe(ALLOWED);
      const pre = await raw(t.baseUrl, 'OPTIONS', '/socket.io/?EIO=4&transport=polling', {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      });
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
      const evil = await raw(t.baseUrl, 'GET', '/socket.io/?EIO=4&transport=polling', { origin: EVIL });
      expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('bodies are JSON', () => {
    it('refuses a text/plain rerun (the cross-site form/fetch vector) with 415 naming the type, and makes no job', async () => {
      const before = await jobCount();
      const r = await raw(t.baseUrl, 'POST', `/api/jobs/${jobId}/rerun`, { 'content-type': 'text/plain' }, '{}');
      expect(r.status).toBe(415);
      expect(r.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: "content-type 'text/plain' is not supported; send application/json",
      });
      expect(await jobCount()).toBe(before);
    });

    it('refuses form types and a body without content-type', async () => {
      const form = await raw(
        t.baseUrl,
        'POST',
        '/api/deployments',
        { 'content-type': 'application/x-www-form-urlencoded' },
        'name=x',
      );
      expect(form.status).toBe(415);
      expect(form.body.message).toContain("'application/x-www-form-urlencoded'");
      const multipart = await raw(t.baseUrl, 'PUT', `/api/deployments/${deploymentId}`, {
        'content-type': 'multipart/form-data; boundary=x',
      });
      expect(multipart.status).toBe(415);
      const bare = await raw(t.baseUrl, 'POST', `/api/jobs/${jobId}/rerun`, {}, '{}');
      expect(bare.status).toBe(415);
      expect(bare.body.message).toBe('a request body needs content-type application/json');
    });

    it('takes application/json with a charset, and a bodiless POST without content-type', async () => {
      const rerun = await raw(
        t.baseUrl,
        'POST',
        `/api/jobs/${jobId}/rerun`,
        { 'content-type': 'application/json; charset=utf-8' },
        '{}',
      );
      expect(rerun.status).toBe(201);
      const cancel = await raw(t.baseUrl, 'POST', `/api/jobs/${rerun.body.id}/cancel`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.state).toBe('CANCELED');
    });
  });

  describe('Host in open mode', () => {
    it('refuses Host: evil.example with 403 naming it', async () => {
      const r = await raw(t.baseUrl, 'GET', '/api/health', { host: 'evil.example' });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: "Host 'evil.example' is not allowed; list its name in ALLOWED_HOSTS",
      });
    });

    it('takes localhost names and IP addresses, any port', async () => {
      for (const host of ['localhost', 'localhost:3000', '127.0.0.1:9', '[::1]:3000', hostOf(t.baseUrl, '127.0.0.1')]) {
        const r = await raw(t.baseUrl, 'GET', '/api/health', { host });
        expect({ host, status: r.status }).toEqual({ host, status: 200 });
      }
    });
  });

  describe('the same-origin flows of the admin UI', () => {
    it('create, rerun, cancel and delete with Origin equal to the page’s own', async () => {
      const origin = t.baseUrl;
      const json = { origin, 'content-type': 'application/json' };
      const dep = await raw(
        t.baseUrl,
        'POST',
        '/api/deployments',
        json,
        JSON.stringify({ name: 'ui', programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] }),
      );
      expect(dep.status).toBe(201);
      const job = await raw(
        t.baseUrl,
        'POST',
        '/api/jobs',
        json,
        JSON.stringify({
          deploymentId: dep.body.id,
          providerName: 'LOCAL',
          deviceName: 'statevector-simulator',
          shots: 5,
        }),
      );
      expect(job.status).toBe(201);
      const rerun = await raw(t.baseUrl, 'POST', `/api/jobs/${job.body.id}/rerun`, json, '{}');
      expect(rerun.status).toBe(201);
      const cancel = await raw(t.baseUrl, 'POST', `/api/jobs/${rerun.body.id}/cancel`, json, '{}');
      expect(cancel.status).toBe(200);
      const del = await raw(t.baseUrl, 'DELETE', `/api/deployments/${dep.body.id}`, { origin });
      expect(del.status).toBe(204);
      // as a browser on http://localhost:<port> sends it
      const local = hostOf(t.baseUrl, 'localhost');
      const viaLocalhost = await raw(t.baseUrl, 'POST', `/api/jobs/${job.body.id}/cancel`, {
        origin: `http://${local}`,
        host: local,
      });
      expect(viaLocalhost.status).toBe(200);
    });
  });
});

describe('origin and host checks with auth on', () => {
  let t: TestApp;
  const sockets: QunestSocket[] = [];

  beforeAll(async () => {
    t = await startTestApp({ auth: { jwtSecret: SECRET }, runWorkers: false });
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  it('accepts any Host (a rebound page gains no token), over HTTP and sockets', async () => {
    const r = await raw(t.baseUrl, 'GET', '/api/health', { host: 'evil.example' });
    expect(r.status).toBe(200);
    const s = openSocket(t.baseUrl, sockets, { host: hostOf(t.baseUrl, 'evil.example') });
    await s.ready();
    expect(s.connected).toBe(true);
  });

  it('still refuses another website’s state-changing requests and sockets', async () => {
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
    const r = await raw(
      t.baseUrl,
      'POST',
      '/api/deployments',
      { origin: EVIL, 'content-type': 'application/json', authorization: `Bearer ${token}` },
      JSON.stringify({ name: 'x', programs: [{ quantumCircuit: BELL_QASM2, assemblerLanguage: 'QASM2' }] }),
    );
    expect(r.status).toBe(403);
    const s = openSocket(t.baseUrl, sockets, { origin: EVIL }, token);
    expect(await refusal(s)).toBe(`Origin '${EVIL}' is not allowed; list it in CORS_ORIGINS`);
  });
});

describe('ALLOWED_HOSTS with auth on', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ auth: { jwtSecret: SECRET }, allowedHosts: ['qunest.example'], runWorkers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('checks Host against the list alone', async () => {
    expect((await raw(t.baseUrl, 'GET', '/api/health', { host: 'qunest.example:8443' })).status).toBe(200);
    expect((await raw(t.baseUrl, 'GET', '/api/health', { host: 'evil.example' })).status).toBe(403);
    expect((await raw(t.baseUrl, 'GET', '/api/health', { host: 'localhost' })).status).toBe(403);
  });
});
