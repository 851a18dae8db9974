import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The architecture rules of `npm run lint` (scripts/check-architecture.mjs, .dependency-cruiser.cjs)
 * hold on every run of the suite too, so that CI refuses a change that breaks them.
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
});
