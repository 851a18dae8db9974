import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVER_EVENTS } from '../realtime/realtime.contract';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may talk only to its own origin (REST and socket.io); no inline script, no framing.
 * Styles set through the CSSOM (element.style.width) are allowed by `style-src 'self'`.
 */
export const ADMIN_UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the API or to socket.io: never answered from the UI folder. */
const RESERVED = /^\/(api|socket\.io)(\/|$)/;

type Next = (err?: unknown) => void;
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/**
 * Finds `web/` of the package: walks up from `from` (src/admin when run by jest, dist/src/admin when
 * compiled) to the first folder that holds both package.json and web/index.html (a package.json that
 * a build copied into dist/ has no web/ beside it, so the walk goes on to the package root).
 */
export function findWebRoot(from: string = __dirname): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const web = join(dir, 'web');
    if (existsSync(join(dir, 'package.json')) && existsSync(join(web, 'index.html'))) return web;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * A small connect-style handler that answers GET and HEAD for the files under `root` ("/" is
 * index.html) and for the exact paths of `extra` (path -> file). Files are read on each request
 * (they are few and small; edits show without a restart) and revalidated with an ETag. Anything else — other methods, /api, /socket.io, dotfiles,
 * paths outside `root`, missing files — goes to `next()`, so Nest's JSON 404 still answers.
 */
export function serveStatic(
  root: string,
  extra: Record<string, string> = {},
  generated: Record<string, GeneratedFile> = {},
): StaticHandler {
  const base = resolve(root);
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return next();
    }
    if (RESERVED.test(pathname) || pathname.includes('\0')) return next();
    if (Object.hasOwn(generated, pathname)) {
      answer(req, res, generated[pathname].type, generated[pathname].body);
      return;
    }
    const mapped = Object.hasOwn(extra, pathname) ? extra[pathname] : undefined;
    if (mapped) {
      void send(mapped, req, res).then((sent) => (sent ? undefined : next()), next);
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const segments = pathname.split('/').filter(Boolean);
    if (segments.some((s) => s.startsWith('.'))) return next();
    const file = resolve(base, ...segments);
    if (!file.startsWith(base + sep)) return next();
    void send(file, req, res).then((sent) => (sent ? undefined : next()), next);
  };
}

/** A file the server makes (from its own code) rather than reads from web/. */
export interface GeneratedFile {
  type: string;
  body: string;
}

async function send(file: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return false;
  }
  if (!info.isFile()) return false;
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  answer(req, res, type, () => readFile(file), `${info.size}:${info.mtimeMs}`);
  return true;
}

/** Answers one file with the UI's headers, revalidated by an ETag of `version` (default: the body). */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  type: string,
  content: string | (() => Promise<Buffer>),
  version: string = typeof content === 'string' ? content : '',
): void {
  const etag = `W/"${createHash('sha1').update(version).digest('base64url')}"`;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('ETag', etag);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (type.startsWith('text/html')) {
    res.setHeader('Content-Security-Policy', ADMIN_UI_CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
  }
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const end = (body: Buffer) => {
    res.statusCode = 200;
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (typeof content === 'string') end(Buffer.from(content));
  else content().then(end, (err: unknown) => res.destroy(err as Error));
}

/**
 * /contract.js: the names of the server's socket events as an ES module, made from the realtime
 * contract (SERVER_EVENTS), so that the admin UI listens to exactly what the gateway sends and no
 * list is copied into web/.
 */
export function contractModule(): Record<string, GeneratedFile> {
  const body = `// Made by the server from src/realtime/realtime.contract.ts: the events a client may receive.\nexport const EVENT_NAMES = ${JSON.stringify(SERVER_EVENTS)};\n`;
  return { '/contract.js': { type: CONTENT_TYPES['.js'], body } };
}

/**
 * The browser build of the socket.io client that ships inside the socket.io server package (so it
 * always matches the server, and needs no dev dependency), as UI paths: /vendor/socket.io.esm.min.js.
 * The gateway itself does not serve its client (serveClient: false).
 */
export function socketIoClientFiles(): Record<string, string> {
  let dist: string;
  try {
    dist = join(dirname(require.resolve('socket.io')), '..', 'client-dist');
  } catch {
    return {};
  }
  const files: Record<string, string> = {};
  for (const name of ['socket.io.esm.min.js', 'socket.io.esm.min.js.map']) {
    if (existsSync(join(dist, name))) files[`/vendor/${name}`] = join(dist, name);
  }
  return files;
}
