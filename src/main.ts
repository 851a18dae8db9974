import 'reflect-metadata';
import { closeOnSignals, createApp, loadConfigOrExit, resolveDatabase, announce } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const embedded = await resolveDatabase(config);
  const app = await createApp(config);
  closeOnSignals(config, async () => {
    await app.close();
    await embedded?.stop();
  });
  await app.listen(config.port, config.host);
  announce(config, `Qunest listening on http://localhost:${config.port} (API /api, OpenAPI /api/docs, admin UI /)`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
