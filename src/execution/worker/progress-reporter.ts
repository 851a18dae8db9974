/**
 * Throttles a job's progress writes: at most one every `intervalMs` (and none in the first
 * `intervalMs`, so that short jobs write no progress at all), only when the percentage rose, never
 * 100 (saveResults sets that), and never two at once. A report that is throttled is dropped: the
 * next one carries a newer figure, and the end of the job sets 100.
 */
export class ProgressReporter {
  private sent = 0;
  private lastAt: number;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly write: (percent: number) => Promise<unknown>,
    private readonly intervalMs = 250,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastAt = this.now();
  }

  report(fraction: number): void {
    if (this.stopped || this.inFlight || !Number.isFinite(fraction)) return;
    const percent = Math.min(99, Math.max(0, Math.floor(fraction * 100)));
    if (percent <= this.sent || this.now() - this.lastAt < this.intervalMs) return;
    this.send(percent);
  }

  private send(percent: number): void {
    this.sent = percent;
    this.lastAt = this.now();
    this.inFlight = this.write(percent)
      .then(
        () => undefined,
        () => undefined, // progress is best effort; the final state is what counts
      )
      .finally(() => {
        this.inFlight = null;
      });
  }

  /** Stops reporting and waits for a write in flight, so it cannot land after the final state. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.inFlight;
  }
}
