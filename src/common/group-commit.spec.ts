import { GroupCommit } from './group-commit';

/** A write that records its batches and answers each input doubled, when `release` is called. */
function recorder() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const gc = new GroupCommit<number, number>(3, (inputs) => {
    batches.push(inputs);
    return new Promise((resolve) => pending.push(() => resolve(inputs.map((i) => i * 2))));
  });
  const release = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
  };
  return { gc, batches, release };
}

describe('GroupCommit', () => {
  it('writes a lone call alone, and answers it', async () => {
    const { gc, batches, release } = recorder();
    const answer = gc.submit(5);
    await release();
    expect(await answer).toBe(10);
    expect(batches).toEqual([[5]]);
  });

  it('writes the calls of one turn together, those made during a write in the next batch, at most `max` a batch', async () => {
    const { gc, batches, release } = recorder();
    const first = [gc.submit(1), gc.submit(2)];
    await release();
    await Promise.all(first);
    const during = gc.submit(3);
    const next = [gc.submit(4), gc.submit(5), gc.submit(6), gc.submit(7)];
    await release(); // [3, 4, 5]
    await release(); // [6, 7]
    expect(await Promise.all([during, ...next])).toEqual([6, 8, 10, 12, 14]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });

  it('rejects every call of a failed batch with its error, and goes on with the next', async () => {
    let fail = true;
    const gc = new GroupCommit<number, number>(10, async (inputs) => {
      if (fail) throw new Error('batch failed');
      return inputs;
    });
    const failed = [gc.submit(1), gc.submit(2)].map((p) => p.catch((e: Error) => e.message));
    expect(await Promise.all(failed)).toEqual(['batch failed', 'batch failed']);
    fail = false;
    expect(await gc.submit(3)).toBe(3);
  });

  it('flushed() resolves once nothing is scheduled or being written', async () => {
    const { gc, release } = recorder();
    let done = false;
    const answer = gc.submit(1).then(() => (done = true));
    const flushed = gc.flushed();
    await release();
    await flushed;
    await answer;
    expect(done).toBe(true);
    await gc.flushed(); // idle: at once
  });
});
