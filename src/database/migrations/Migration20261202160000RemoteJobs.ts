import { Migration } from '@mikro-orm/migrations';

/**
 * Remote devices and jobs (docs/providers.md): a device's id at its provider (a Braket ARN, an IBM
 * backend name), and what a job running at a provider is doing there (its status and queue position).
 */
export class Migration20261202160000RemoteJobs extends Migration {
  override up(): void {
    this.addSql(`alter table "device" add column "provider_device_id" varchar(255) null;`);
    this.addSql(
      `alter table "job" add column "provider_status" varchar(32) null, add column "queue_position" int null;`,
    );
    // IonQ's debiasing, applied by IonQ
    this.addSql(`alter table "job" drop constraint if exists "job_error_mitigation_check";`);
    this.addSql(
      `alter table "job" add constraint "job_error_mitigation_check" check ("error_mitigation" in ('none', 'readout_mitigation', 'zne', 'pec', 'dd', 'debiasing'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "job" drop constraint if exists "job_error_mitigation_check";`);
    this.addSql(
      `alter table "job" add constraint "job_error_mitigation_check" check ("error_mitigation" in ('none', 'readout_mitigation', 'zne', 'pec', 'dd'));`,
    );
    this.addSql(`alter table "job" drop column "provider_status", drop column "queue_position";`);
    this.addSql(`alter table "device" drop column "provider_device_id";`);
  }
}
