import { Migration } from '@mikro-orm/migrations';

/**
 * Noisy devices and error mitigation (docs/noise.md): a device's noise model (null for ideal and
 * remote devices), and `twirled_readout_error_extinction` among the jobs' errorMitigation methods.
 */
export class Migration20261202183000NoisyDevices extends Migration {
  override up(): void {
    this.addSql(`alter table "device" add column if not exists "noise_model" jsonb null;`);
    this.addSql(`alter table "job" drop constraint if exists "job_error_mitigation_check";`);
    this.addSql(
      `alter table "job" add constraint "job_error_mitigation_check" check ("error_mitigation" in ('none', 'readout_mitigation', 'twirled_readout_error_extinction', 'zne', 'pec', 'dd', 'debiasing'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "job" drop constraint if exists "job_error_mitigation_check";`);
    this.addSql(
      `alter table "job" add constraint "job_error_mitigation_check" check ("error_mitigation" in ('none', 'readout_mitigation', 'zne', 'pec', 'dd', 'debiasing'));`,
    );
    this.addSql(`alter table "device" drop column if exists "noise_model";`);
  }
}
