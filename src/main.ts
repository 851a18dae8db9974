import 'reflect-metadata';
import { closeOnSignals, createApp, resolveDatabase } from './bootstrap';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const embedded = await resolveDatabase(config);
  const app = await createApp(config);
  closeOnSignals(async () => {
    await app.close();
    await embedded?.stop();
  });
  await app.listen(config.port, config.host);
  console.log(`Qunest listening on http://localhost:${config.port} (API /api, OpenAPI /api/docs)`);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
