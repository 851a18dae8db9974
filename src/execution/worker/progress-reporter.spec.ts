import { ProgressReporter } from './progress-reporter';

/** A clock the test moves by hand, so that no assertion depends on real time. */
function setup(intervalMs = 250) {
  let t = 0;
  const writes: number[] = [];
  const pending: (() => void)[] = [];
  const reporter = new ProgressReporter(
    (p) => {
      writes.push(p);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    intervalMs,
    () => t,
  );
  const flush = async () => {
    while (pending.length) pending.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { reporter, writes, flush, advance: (ms: number) => (t += ms) };
}

describe('ProgressReporter', () => {
  it('ignores a fraction that is not a finite number', async () => {
    const { reporter, writes, flush, advance } = setup();
    advance(250);
    reporter.report(NaN);
    reporter.report(Infinity);
    await flush();
    reporter.report(0.4);
    await flush();
    expect(writes).toEqual([40]);
  });

  it('writes nothing during the first interval, so short jobs write no progress', async () => {
    const { reporter, writes, advance } = setup();
    reporter.report(0.5);
    advance(100);
    reporter.report(0.9);
    await reporter.stop();
    expect(writes).toEqual([]);
  });

  it('writes at most once an interval, only rising whole percentages, never 100', async () => {
    const { reporter, writes, flush, advance } = setup();
    advance(250);
    reporter.report(0.101);
    await flush();
    reporter.report(0.2); // within the interval: held back
    advance(250);
    reporter.report(0.05); // lower than what was written: ignored
    reporter.report(0.3);
    await flush();
    advance(250);
    reporter.report(1);
    await flush();
    expect(writes).toEqual([10, 30, 99]);
  });

  it('never has two writes in flight, and stop() waits for the one in flight', async () => {
    const { reporter, writes, flush, advance } = setup();
    advance(300);
    reporter.report(0.4);
    advance(300);
    reporter.report(0.6); // the first write has not finished: not sent
    expect(writes).toEqual([40]);
    let stopped = false;
    const stopping = reporter.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    await flush();
    await stopping;
    expect(stopped).toBe(true);
    reporter.report(0.9); // after stop: ignored
    expect(writes).toEqual([40]);
  });

  it('survives a failing write', async () => {
    let t = 0;
    let calls = 0;
    const reporter = new ProgressReporter(
      () => {
        calls++;
        return Promise.reject(new Error('database gone'));
      },
      250,
      () => t,
    );
    t = 1000;
    reporter.report(0.5);
    await expect(reporter.stop()).resolves.toBeUndefined();
    expect(calls).toBe(1);
  });
});
