// First: the compile cache covers every module loaded after it.
import { flushCompileCache } from './common/compile-cache';
import { closeOnSignals, loadConfigOrExit, resolveDatabase, announce } from './startup';

/**
 * `npm start`. The embedded PostgreSQL (when DATABASE_URL is unset) is started first, and the
 * application's modules (Nest, MikroORM, pg-boss, …: about 1,500 files, most of the start's CPU) are
 * loaded while PostgreSQL boots in its own process; then the app is created and listens once its
 * database, migrations, queue and workers are ready, so that GET /api/health answers 200 only then.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let booting!: () => void;
  const serverBooting = new Promise<void>((resolve) => (booting = resolve));
  const database = resolveDatabase(config, { onBooting: booting });
  // Until the server process is spawned (or the database is resolved, or fails: reported below).
  await Promise.race([serverBooting, database.then(noop, noop)]);
  // Synchronous: PostgreSQL boots meanwhile; its readiness is read once the modules are loaded.
  require('reflect-metadata');
  const { createApp } = require('./bootstrap') as typeof import('./bootstrap');
  const embedded = await database;
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    app = await createApp(config);
    const started = app;
    closeOnSignals(config, async () => {
      await started.close();
      await embedded?.stop();
    });
    await app.listen(config.port, config.host);
  } catch (err) {
    // A failed start (the port taken, say) does not leave its PostgreSQL for the next start to recover.
    await app?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
  flushCompileCache();
  announce(config, `Qunest listening on http://localhost:${config.port} (API /api, OpenAPI /api/docs, admin UI /)`);
}

function noop(): void {}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
