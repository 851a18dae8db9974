import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postOnce, RESPONSE_BODY_LIMIT, succeeded } from './webhook-sender';

/** A local HTTP server whose handler the test sets; records what reached it. */
async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe('postOnce', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const start = async (handler: Parameters<typeof createServer>[1]) => {
    const s = await serve(handler);
    servers.push(s.server);
    return s;
  };
  const opts = { timeoutMs: 2000, allowPrivate: true };

  it('POSTs the body as JSON with the given headers and answers the status', async () => {
    let got: { body: string; headers: Record<string, unknown> } | undefined;
    const { base } = await start((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got = { body: Buffer.concat(chunks).toString(), headers: req.headers };
        res.writeHead(204).end();
      });
    });
    const outcome = await postOnce(new URL(`${base}/h`), '{"a":1}', { 'qunest-event': 'job.state' }, opts);
    expect(outcome.status).toBe(204);
    expect(succeeded(outcome)).toBe(true);
    expect(got?.body).toBe('{"a":1}');
    expect(got?.headers).toMatchObject({ 'qunest-event': 'job.state', 'content-type': 'application/json' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps at most 1 KB of the answer', async () => {
    const { base } = await start((_req, res) => res.writeHead(500).end('é'.repeat(5000)));
    const outcome = await postOnce(new URL(base), '{}', {}, opts);
    expect(outcome.status).toBe(500);
    expect(succeeded(outcome)).toBe(false);
    expect(Buffer.byteLength(outcome.responseBody!)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT);
    expect(outcome.responseBody!.length).toBeGreaterThan(400);
  });

  it('does not follow redirects: a 3xx is a failed attempt and its Location is never requested', async () => {
    const target = await start((_req, res) => res.writeHead(200).end('ok'));
    const { base } = await start((_req, res) => res.writeHead(307, { location: `${target.base}/elsewhere` }).end());
    const outcome = await postOnce(new URL(base), '{}', {}, opts);
    expect(outcome.status).toBe(307);
    expect(succeeded(outcome)).toBe(false);
    expect(target.hits).toEqual([]);
  });

  it('gives up after the timeout', async () => {
    const { base } = await start(() => undefined); // never answers
    const outcome = await postOnce(new URL(base), '{}', {}, { timeoutMs: 300, allowPrivate: true });
    expect(outcome.status).toBeUndefined();
    expect(outcome.error).toBe('no answer within 300 ms');
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290);
    expect(outcome.durationMs).toBeLessThan(2000);
  });

  it('refuses, at connect time, a name that resolves to a private address', async () => {
    const { base, hits } = await start((_req, res) => res.writeHead(200).end());
    const port = new URL(base).port;
    const outcome = await postOnce(
      new URL(`http://localhost:${port}/`),
      '{}',
      {},
      { timeoutMs: 2000, allowPrivate: false },
    );
    expect(outcome.status).toBeUndefined();
    expect(outcome.error).toMatch(/localhost resolves to .*a private address/);
    expect(hits).toEqual([]);
    const allowed = await postOnce(
      new URL(`http://localhost:${port}/`),
      '{}',
      {},
      { timeoutMs: 2000, allowPrivate: true },
    );
    expect(allowed).toMatchObject({ status: 200 });
    expect(hits).toHaveLength(1);
  });

  it('reports a refused connection as an error', async () => {
    const { server, base } = await start((_req, res) => res.end());
    await new Promise((r) => server.close(r));
    servers.splice(servers.indexOf(server), 1);
    const outcome = await postOnce(new URL(base), '{}', {}, opts);
    expect(outcome.status).toBeUndefined();
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });
});
