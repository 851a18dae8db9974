import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { Job } from './job.entity';

/** Where a job stands in the queue, as its answers show it. */
export interface QueuePlace {
  /**
   * READY: 1 + the READY jobs of its device submitted before it (1 = next to start there). RUNNING
   * at a remote provider and waiting there: the provider's queue position, where it tells one.
   * Otherwise null.
   */
  queuePosition: number | null;
  /** When a READY job is expected to start (ISO), from its position and its device's recent run times; null when nothing is known. */
  estimatedStartAt: string | null;
}

/** How long a device's jobs have run lately, for the estimates. */
interface DeviceLoad {
  running: number;
  /** Mean run time of its jobs that finished in the last 24 h (the last 200), in seconds; null without any. */
  averageRunSeconds: number | null;
}

/**
 * Queue positions and start estimates of jobs (issue "Job API": queue position and wait times).
 * Read with one query for the positions of the READY jobs of a page and one per device among them,
 * on the partial index job(executed_on_id, created_at, id) where state = 'READY'.
 *
 * The estimate: a job at position p on a device where k jobs run now, whose jobs ran s seconds on
 * average in the last 24 h, starts in about p / k * s seconds (k slots freeing one job each s
 * seconds). With nothing running there, or no run in 24 h, it is null: nothing is known.
 */
@Injectable()
export class JobQueueStats {
  constructor(private readonly em: EntityManager) {}

  async placesOf(jobs: readonly Job[], now = new Date()): Promise<Map<string, QueuePlace>> {
    const places = new Map<string, QueuePlace>();
    for (const job of jobs) {
      const atProvider = job.state === 'RUNNING' && job.providerStatus === 'queued';
      places.set(job.id, { queuePosition: atProvider ? (job.queuePosition ?? null) : null, estimatedStartAt: null });
    }
    const ready = jobs.filter((j) => j.state === 'READY');
    if (ready.length === 0) return places;
    const sql = this.em.getConnection();
    const rows = await sql.execute<{ id: string; device: string; position: string }[]>(
      `select j.id, j.executed_on_id as device,
              (select count(*) from "job" r
                where r.executed_on_id = j.executed_on_id and r.state = 'READY'
                  and (r.created_at, r.id) < (j.created_at, j.id)) + 1 as position
         from "job" j where j.id in (${ready.map(() => '?').join(', ')}) and j.state = 'READY'`,
      ready.map((j) => j.id),
    );
    const loads = new Map<string, DeviceLoad>();
    for (const device of new Set(rows.map((r) => r.device))) loads.set(device, await this.loadOf(device));
    for (const row of rows) {
      const position = Number(row.position);
      const load = loads.get(row.device)!;
      const estimate =
        load.running > 0 && load.averageRunSeconds !== null
          ? new Date(now.getTime() + (position / load.running) * load.averageRunSeconds * 1000).toISOString()
          : null;
      places.set(row.id, { queuePosition: position, estimatedStartAt: estimate });
    }
    return places;
  }

  private async loadOf(deviceId: string): Promise<DeviceLoad> {
    const [row] = await this.em.getConnection().execute<{ running: string; average: number | null }[]>(
      `select (select count(*) from "job" where executed_on_id = ? and state = 'RUNNING') as running,
              (select avg(extract(epoch from finished_at - started_at))::float from (
                 select finished_at, started_at from "job"
                  where executed_on_id = ? and state = 'FINISHED' and started_at is not null
                    and finished_at > now() - interval '24 hours'
                  order by finished_at desc limit 200) recent) as average`,
      [deviceId, deviceId],
    );
    return { running: Number(row.running), averageRunSeconds: row.average === null ? null : Number(row.average) };
  }
}
