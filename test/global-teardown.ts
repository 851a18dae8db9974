export default async function globalTeardown(): Promise<void> {
  await globalThis.__QUNEST_EMBEDDED__?.stop();
}
