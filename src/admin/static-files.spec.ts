import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVER_EVENTS } from '../realtime/realtime.contract';
import { ADMIN_UI_CSP, contractModule, findWebRoot, serveStatic, socketIoClientFiles } from './static-files';

describe('findWebRoot', () => {
  const repo = resolve(__dirname, '../..');

  it('finds web/ of the package from src/admin (jest) and from dist/src/admin (compiled)', () => {
    expect(findWebRoot(__dirname)).toBe(join(repo, 'web'));
    expect(findWebRoot(join(repo, 'dist', 'src', 'admin'))).toBe(join(repo, 'web'));
  });

  it('walks past a package.json that has no web/ beside it, and gives up at the file system root', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qunest-webroot-'));
    try {
      mkdirSync(join(tmp, 'web'));
      writeFileSync(join(tmp, 'web', 'index.html'), '<!doctype html>');
      writeFileSync(join(tmp, 'package.json'), '{}');
      mkdirSync(join(tmp, 'dist', 'src', 'admin'), { recursive: true });
      writeFileSync(join(tmp, 'dist', 'package.json'), '{}');
      expect(findWebRoot(join(tmp, 'dist', 'src', 'admin'))).toBe(join(tmp, 'web'));
      rmSync(join(tmp, 'web'), { recursive: true });
      expect(findWebRoot(join(tmp, 'dist', 'src', 'admin'))).toBeUndefined();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('serveStatic', () => {
  let root: string;
  let outside: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'qunest-static-'));
    root = join(outside, 'web');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'app.js'), 'export const x = 1;\n');
    writeFileSync(join(root, 'sub', 'index.html'), 'sub');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    writeFileSync(join(outside, 'secret.txt'), 'outside');
    writeFileSync(join(outside, 'vendor.js'), 'vendor();');
    const handler = serveStatic(root, { '/vendor/v.js': join(outside, 'vendor.js') }, contractModule());
    server = createServer((req, res) =>
      handler(req, res, (err?: unknown) => {
        res.statusCode = err ? 500 : 404;
        res.end('next');
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  function raw(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}/`, { path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(outside, { recursive: true, force: true });
  });

  it('answers / and folders with their index.html, with the CSP and no-cache', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(ADMIN_UI_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<title>t</title>');
    expect(await (await fetch(`${base}/sub/`)).text()).toBe('sub');
  });

  it('serves modules as JavaScript, revalidates with the ETag, and answers HEAD without a body', async () => {
    const res = await fetch(`${base}/app.js?v=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeNull();
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('export const x = 1;\n'.length));
    expect(await head.text()).toBe('');
  });

  it('serves the extra paths from their own files', async () => {
    expect(await (await fetch(`${base}/vendor/v.js`)).text()).toBe('vendor();');
  });

  it('serves /contract.js, made from the realtime contract: every server event name, as a module', async () => {
    const res = await fetch(`${base}/contract.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await res.text();
    const names = JSON.parse(/export const EVENT_NAMES = (\[.*\]);/.exec(body)![1]) as string[];
    expect(names).toEqual([...SERVER_EVENTS]);
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${base}/contract.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it.each([
    ['/api/health', 'the API'],
    ['/api', 'the API root'],
    ['/socket.io/socket.io.js', 'socket.io'],
    ['/missing.js', 'a missing file'],
    ['/.env', 'a dotfile'],
    ['/%2e%2e/secret.txt', 'an encoded parent path'],
    ['/..%2fsecret.txt', 'an encoded separator'],
    ['/sub/..%2f..%2fsecret.txt', 'a deeper escape'],
    ['/%E0%A4%A', 'a malformed escape'],
    ['/app.js%00.html', 'a NUL byte'],
    ['/../secret.txt', 'a parent path'],
    ['/sub/../../secret.txt', 'a deeper parent path'],
  ])('hands %s (%s) on to the next handler', async (path) => {
    // sent as written: fetch() would normalize the dots away before they reach the server
    const res = await raw(path);
    expect(res).toEqual({ status: 404, body: 'next' });
  });

  it('hands other methods on', async () => {
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(404);
  });
});

describe('socketIoClientFiles', () => {
  it('maps the ESM browser client of the installed socket.io server under /vendor/', () => {
    const files = socketIoClientFiles();
    expect(Object.keys(files)).toEqual(['/vendor/socket.io.esm.min.js', '/vendor/socket.io.esm.min.js.map']);
    expect(files['/vendor/socket.io.esm.min.js']).toMatch(/socket\.io[/\\]client-dist[/\\]socket\.io\.esm\.min\.js$/);
  });
});
