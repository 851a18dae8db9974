import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The architecture rules of `npm run lint` (scripts/check-architecture.mjs, .dependency-cruiser.cjs)
 * and the type check hold on every run of the suite too, so that CI refuses a change that breaks them.
 */
describe('architecture', () => {
  it('has no import cycle between folders, and the engine is a library used through its index', () => {
    const root = join(__dirname, '..');
    const node = join(root, 'node_modules', '.bin', 'node');
    let out = '';
    try {
      out = execFileSync(node, [join(root, 'scripts', 'check-architecture.mjs')], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`the architecture check failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
    }
    expect(out).toMatch(/no rule broken, no cycle between the \d+ folders of src\//);
  });

  it('type-checks (the build compiles with swc, which does not: tsc checks here, so CI refuses a type error)', () => {
    const root = join(__dirname, '..');
    const node = join(root, 'node_modules', '.bin', 'node');
    try {
      execFileSync(node, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
        timeout: 300_000,
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`tsc found errors:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }, 300_000);
});
