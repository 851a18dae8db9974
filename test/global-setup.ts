// Starts one private PostgreSQL for the whole test run (or uses DATABASE_URL); every test file then
// creates its own database on it (test/helpers/database.ts), so files are isolated and runs repeatable.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';

declare global {
  var __QUNEST_EMBEDDED__: EmbeddedDatabase | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.QUNEST_TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const db = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), 'qunest', `test-${process.pid}-${Date.now()}`),
    persistent: false,
  });
  process.env.QUNEST_TEST_SERVER_URL = db.url;
  globalThis.__QUNEST_EMBEDDED__ = db;
}
