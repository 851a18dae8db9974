import { Migration } from '@mikro-orm/migrations';

/**
 * Job events are numbered by the outbox subscriber in the flush that updates the job (one UPDATE of
 * the job row per unit of work instead of one more per event). The trigger stays as the fallback for
 * events whose job row the flush does not update (job.deleted); it now raises the job's version too,
 * so that a concurrent ORM writer of the same job fails its version check (OptimisticLockError, and
 * retries) instead of writing a seq that the trigger already gave out.
 */
export class Migration20261125150000OutboxSeqInFlush extends Migration {
  override up(): void {
    this.addSql(`create or replace function qunest_outbox_number() returns trigger language plpgsql as $$
begin
  if new.job_id is not null and new.seq is null then
    update "job" set "event_seq" = "event_seq" + 1, "version" = "version" + 1 where "id" = new.job_id
      returning "event_seq" into new.seq;
  end if;
  if new.seq is not null then
    new.payload := jsonb_set(new.payload, '{seq}', to_jsonb(new.seq));
  end if;
  return new;
end $$;`);
  }

  override down(): void {
    this.addSql(`create or replace function qunest_outbox_number() returns trigger language plpgsql as $$
begin
  if new.job_id is not null and new.seq is null then
    update "job" set "event_seq" = "event_seq" + 1 where "id" = new.job_id returning "event_seq" into new.seq;
  end if;
  if new.seq is not null then
    new.payload := jsonb_set(new.payload, '{seq}', to_jsonb(new.seq));
  end if;
  return new;
end $$;`);
  }
}
