import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/database/embedded-postgres';
import { buildDist, NODE, ROOT } from './helpers/build';
import { waitUntil } from './helpers/http';

/**
 * A checkout in a private folder (mode 0700, as root's home or `mktemp -d`), started as root: the
 * embedded PostgreSQL runs as the `postgres` user, who cannot reach the binaries below that folder.
 * The service must start anyway (from a readable copy of the binaries), and a data directory the
 * postgres user cannot reach must be refused with a message that says what to do, not a crash.
 * The "checkout" is the built service with node_modules hard-linked into the private folder.
 */
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe(`a checkout in a private folder, started as ${isRoot ? 'root' : 'its owner'}`, () => {
  let dir: string;
  let checkout: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    buildDist();
    dir = mkdtempSync(join(tmpdir(), 'qunest-private-'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    checkout = join(dir, 'qunest');
    mkdirSync(checkout);
    for (const part of ['node_modules', 'dist', 'package.json', 'web']) {
      execFileSync('cp', ['-al', join(ROOT, part), join(checkout, part)]);
    }
  }, 180_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  });

  function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
    let out = '';
    const child = spawn(NODE, [join(checkout, 'dist', 'src', 'main.js')], {
      cwd: checkout,
      env: { ...process.env, DATABASE_URL: '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    children.push(child);
    return { child, output: () => out };
  }

  it('starts and answers /api/health, running PostgreSQL from a copy the postgres user can read', async () => {
    const port = await freePort();
    const dataDir = join(tmpdir(), 'qunest', `private-folder-${process.pid}-${Date.now()}`);
    const { child, output } = start({ PORT: String(port), HOST: '127.0.0.1', QUNEST_DATA_DIR: dataDir });
    try {
      const health = await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output()}`);
          const res = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
          return res?.status === 200 ? ((await res.json()) as { status: string }) : undefined;
        },
        'the service in the private folder to answer /api/health',
        120_000,
      );
      expect(health.status).toBe('ok');
      // As root the server runs as the postgres user, who cannot reach the checkout's binaries.
      if (isRoot) expect(output()).toContain('running PostgreSQL from a readable copy');
      expect(output()).not.toContain('EACCES\n    at');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it(
    isRoot
      ? 'refuses a data directory inside the private folder with what to do, exit code 2, no stack trace'
      : 'takes a data directory inside the private folder (its owner runs the server)',
    async () => {
      const port = await freePort();
      const { child, output } = start({
        PORT: String(port),
        HOST: '127.0.0.1',
        QUNEST_DATA_DIR: join(checkout, 'data'),
      });
      if (isRoot) {
        const code = await new Promise<number | null>((r) => child.once('exit', r));
        expect(code).toBe(2);
        expect(output()).toContain('the postgres user');
        expect(output()).toContain('Set QUNEST_DATA_DIR');
        expect(output()).not.toMatch(/\n\s+at /);
      } else {
        await waitUntil(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.status === 200 || undefined,
          'the service to answer /api/health',
          120_000,
        );
        child.kill('SIGTERM');
      }
    },
    180_000,
  );
});
