import * as nodeModule from 'node:module';

/**
 * V8's compile cache for the modules a process loads (Node 22.1+, `module.enableCompileCache`),
 * turned on when this module is imported: an entry point imports it first. A start loads about
 * 1,500 files (Nest, MikroORM, pg-boss, class-validator, …); with the cache, their code is read
 * compiled from `<tmpdir>/node-compile-cache` (Node's default, or NODE_COMPILE_CACHE) instead of
 * being compiled again. Loading the modules alone took a fifth less CPU with it (4 pairs of runs);
 * in a whole start its gain was within the noise of a loaded machine (docs/benchmarks.md "Start to
 * healthy"). The cache is keyed by each file's content and Node's version, so a changed file is
 * compiled anew; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
const api = nodeModule as {
  enableCompileCache?: (cacheDir?: string) => unknown;
  flushCompileCache?: () => void;
};
try {
  api.enableCompileCache?.();
} catch {
  // an unwritable cache directory: start without the cache
}

/** Writes what was compiled so far to the cache now (else it is written at exit; a killed process would lose it). */
export function flushCompileCache(): void {
  try {
    api.flushCompileCache?.();
  } catch {
    // best effort
  }
}
