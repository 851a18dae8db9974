import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/bootstrap';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { freshDatabase } from './database';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  get<T>(token: unknown): T;
  close(): Promise<void>;
}

type Overrides = Omit<Partial<AppConfig>, 'auth'> & { auth?: Partial<AppConfig['auth']> };

/**
 * Starts the real application on a random port, on its own fresh database (or on `databaseUrl`
 * when given, to run several instances on one database).
 */
export async function startTestApp(overrides: Overrides = {}): Promise<TestApp> {
  const base = loadConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl = overrides.databaseUrl;
  if (!databaseUrl) {
    const db = await freshDatabase();
    databaseUrl = db.url;
    drop = db.drop;
  }
  const config: AppConfig = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    localDeviceQubits: 20,
    workerConcurrency: 2,
    serveAdminUi: false,
    ...overrides,
    databaseUrl,
    auth: { ...base.auth, ...overrides.auth },
  };
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    get: <T>(token: unknown) => app.get(token as never) as T,
    close: async () => {
      await app.close();
      await drop?.();
    },
  };
}
