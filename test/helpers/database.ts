import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase } from '../../src/database/embedded-postgres';

function serverUrl(): string {
  const url = process.env.QUNEST_TEST_SERVER_URL;
  if (!url) throw new Error('QUNEST_TEST_SERVER_URL is unset: run the tests through jest (test/global-setup.ts)');
  return url;
}

/** A fresh, empty database for one test file; `drop` removes it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `qunest_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(serverUrl(), name);
  return { url, drop: () => dropDatabase(serverUrl(), name) };
}
