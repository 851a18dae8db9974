import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

/** A lock that test files running at the same time (jest workers) share: one builds, the others wait. */
const LOCK = join(tmpdir(), `qunest-build-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}.lock`);
/** A lock older than this was left by a killed run. */
const STALE_MS = 5 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds dist/ for the tests that start `node dist/src/*.js` processes (incremental; a fresh clone has
 * none). One build at a time across jest's workers, so that no process starts from a file another
 * build is writing.
 */
export function buildDist(): void {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // removed meanwhile
      }
      if (Date.now() > deadline) throw new Error(`waited 3 minutes for another build of dist/ (${LOCK})`);
      sleepSync(200);
    }
  }
  try {
    // The same incremental swc build as `npm run build` (scripts/build.mjs): no type check here
    // (test/typecheck.e2e-spec.ts does that), and seconds instead of a tsc run.
    execFileSync(NODE, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
  } catch (err) {
    const out = String((err as { stderr?: Buffer }).stderr ?? err);
    throw new Error(`the build of dist/ failed:\n${out}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
