import { Migration } from '@mikro-orm/migrations';

/**
 * Queue positions and wait times (GET /api/jobs, GET /api/devices/:id): a device's READY jobs in
 * submission order, and its jobs by start time.
 */
export class Migration20261202170000QueueIndexes extends Migration {
  override up(): void {
    this.addSql(
      `create index if not exists "job_ready_queue_index" on "job" ("executed_on_id", "created_at", "id") where "state" = 'READY';`,
    );
    this.addSql(`create index if not exists "job_device_started_index" on "job" ("executed_on_id", "started_at");`);
  }

  override down(): void {
    this.addSql('drop index if exists "job_device_started_index";');
    this.addSql('drop index if exists "job_ready_queue_index";');
  }
}
