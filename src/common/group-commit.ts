/**
 * Group commit: a call made while no batch is being written goes after one turn of the event loop
 * (with the calls of that turn, else alone); calls made meanwhile wait for it and are then written
 * together, up to `max` at a time. Each call gets its own answer (or the batch's error). Used for
 * the submissions, the workers' starts and saves (JobsService) and the queue's completions.
 */
export class GroupCommit<I, O> {
  private readonly waiting: { input: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  private writing = false;
  private scheduled = false;
  private current: Promise<void> | null = null;

  constructor(
    private readonly max: number,
    private readonly write: (inputs: I[]) => Promise<O[]>,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.writing && !this.scheduled) {
        // One turn of the event loop first: calls made in the same turn (entries fetched together, runs
        // that ended in one batch) go in one transaction rather than the first alone.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (!this.writing) this.current = this.drain();
        });
      }
    });
  }

  /** Resolves when nothing is waiting or being written. */
  async flushed(): Promise<void> {
    while (this.scheduled || this.writing) {
      if (this.writing && this.current) await this.current;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.max);
        try {
          const out = await this.write(batch.map((b) => b.input));
          batch.forEach((b, i) => b.resolve(out[i]));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
