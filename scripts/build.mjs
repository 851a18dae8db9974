#!/usr/bin/env node
/**
 * `npm run build` (and before `npm start` / `npm run worker`): compiles src/, bench/, scripts/ and
 * mikro-orm.config.ts to dist/ with swc, file by file, only the files changed since their output
 * was written, and removes the outputs of deleted sources. The same transform as the tests (jest
 * runs every file of the app through @swc/jest): CommonJS, ES2023, legacy decorators with their
 * metadata (Nest's injection needs it), source maps; dynamic import() stays native, as tsc leaves it.
 * It does not type-check: `npm run typecheck` (tsc) and `npm run lint` do, and CI runs both.
 *
 * A start with nothing changed costs a walk of the tree (tens of milliseconds) instead of a tsc run
 * (4 s and more); swc itself (a native module of tens of MB) is loaded only when a file changed.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
const SOURCES = ['src', 'bench', 'scripts'];
const FILES = ['mikro-orm.config.ts'];

/** @type {import('@swc/core').Options} */
const OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'commonjs', ignoreDynamic: true },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};

/** Every .ts source to build (not specs, not declarations). */
function sources() {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
        out.push(path);
      }
    }
  };
  for (const dir of SOURCES) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  for (const file of FILES) if (existsSync(join(ROOT, file))) out.push(join(ROOT, file));
  return out;
}

const outputOf = (src) => join(OUT, relative(ROOT, src)).replace(/\.ts$/, '.js');

/** Outputs under dist/ whose source is gone (a deleted migration must not be loaded from dist). */
function staleOutputs(expected) {
  const stale = [];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js') && !expected.has(path)) stale.push(path, `${path}.map`);
    }
  };
  for (const dir of SOURCES) walk(join(OUT, dir));
  return stale;
}

/** Compiles what changed since the last build (see above); exits the process with 1 when a file does not compile. */
export async function build() {
  const t0 = performance.now();
  const all = sources();
  const expected = new Set(all.map(outputOf));
  const changed = all.filter((src) => {
    const out = outputOf(src);
    return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
  });
  if (changed.length > 20)
    console.error(`building dist/: compiling ${changed.length} of ${all.length} files with swc…`);
  const { transformFile } = changed.length > 0 ? await import('@swc/core') : {};
  const failures = [];
  // A few at a time: swc runs each transform on its own thread pool.
  const queue = [...changed];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let src = queue.shift(); src !== undefined; src = queue.shift()) {
        const out = outputOf(src);
        try {
          const { code, map } = await transformFile(src, {
            ...OPTIONS,
            filename: src,
            sourceFileName: relative(dirname(out), src),
          });
          mkdirSync(dirname(out), { recursive: true });
          writeFileSync(out, `${code}\n//# sourceMappingURL=${relative(dirname(out), out)}.map\n`);
          if (map) writeFileSync(`${out}.map`, map);
        } catch (err) {
          failures.push(`${relative(ROOT, src)}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }),
  );
  const stale = staleOutputs(expected);
  for (const path of stale) rmSync(path, { force: true });
  if (failures.length > 0) {
    console.error(`build failed:\n${failures.join('\n')}`);
    process.exit(1);
  }
  const ms = Math.round(performance.now() - t0);
  if (changed.length > 0 || stale.length > 0) {
    console.error(`built dist/ in ${ms} ms (${changed.length} compiled, ${stale.length / 2} removed)`);
  }
}

// `node scripts/build.mjs` (npm run build); scripts/start.mjs imports build() instead.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await build();
