#!/usr/bin/env node
/**
 * `npm start`: the build check and the server in one Node process (one process start fewer than a
 * `prestart` build followed by `node dist/src/main.js`).
 *
 * First scripts/build.mjs's build(): with nothing changed, a walk of the sources comparing their
 * modification times with their outputs' (swc is not even loaded); after `npm install` or a change,
 * it compiles what changed and says so ("building dist/: compiling 225 of 225 files with swc…",
 * "built dist/ in … ms"). Then the server, dist/src/main.js, as `node dist/src/main.js` would run it.
 */
import { createRequire } from 'node:module';
import { build } from './build.mjs';

await build();
createRequire(import.meta.url)('../dist/src/main.js');
