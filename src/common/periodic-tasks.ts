import { BeforeApplicationShutdown, Global, Injectable, Logger, Module } from '@nestjs/common';

interface Task {
  name: string;
  everyMs: number;
  timer: NodeJS.Timeout;
  running: boolean;
}

/**
 * Every piece of periodic work of a process, in one place: modules register theirs here (outbox
 * cleanup, the sweep for orphaned RUNNING jobs, the gateway's slow-socket check), and `list` shows
 * them all. A run never overlaps the previous one of the same task, a failure is logged and the task
 * goes on, and all of them stop before the application shuts down. Timers never keep the process alive.
 */
@Injectable()
export class PeriodicTasks implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PeriodicTasks.name);
  private readonly tasks = new Map<string, Task>();

  /** Runs `work` every `everyMs` (and once at once with `runNow`). Names are unique per process. */
  every(name: string, everyMs: number, work: () => unknown, opts: { runNow?: boolean } = {}): void {
    if (this.tasks.has(name)) throw new Error(`periodic task ${name} is registered twice`);
    const task: Task = { name, everyMs, running: false, timer: setInterval(() => void this.run(task, work), everyMs) };
    task.timer.unref();
    this.tasks.set(name, task);
    if (opts.runNow) void this.run(task, work);
  }

  /** The tasks of this process: name and period. */
  list(): { name: string; everyMs: number }[] {
    return [...this.tasks.values()].map(({ name, everyMs }) => ({ name, everyMs }));
  }

  /** Stops one task (no-op when it is not registered). */
  cancel(name: string): void {
    const task = this.tasks.get(name);
    if (!task) return;
    clearInterval(task.timer);
    this.tasks.delete(name);
  }

  beforeApplicationShutdown(): void {
    for (const name of [...this.tasks.keys()]) this.cancel(name);
  }

  private async run(task: Task, work: () => unknown): Promise<void> {
    if (task.running) return;
    task.running = true;
    try {
      await work();
    } catch (err) {
      this.logger.warn(`periodic task ${task.name} failed: ${String(err)}`);
    } finally {
      task.running = false;
    }
  }
}

@Global()
@Module({ providers: [PeriodicTasks], exports: [PeriodicTasks] })
export class PeriodicTasksModule {}
