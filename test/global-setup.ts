// Starts one private PostgreSQL for the whole test run (or uses DATABASE_URL); every test file then
// creates its own database on it (test/helpers/database.ts), so files are isolated and runs repeatable.
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';

declare global {
  var __QUNEST_EMBEDDED__: EmbeddedDatabase | undefined;
}

/** Data directories left behind by test runs that were killed (their process is gone). */
function removeStaleDataDirs(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^test-(\d+)-\d+$/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.QUNEST_TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  removeStaleDataDirs(join(tmpdir(), 'qunest'));
  const db = await startEmbeddedPostgres({
    dataDir: join(tmpdir(), 'qunest', `test-${process.pid}-${Date.now()}`),
    persistent: false,
  });
  process.env.QUNEST_TEST_SERVER_URL = db.url;
  globalThis.__QUNEST_EMBEDDED__ = db;
}
