import { Migration } from '@mikro-orm/migrations';

/**
 * The job API of issue 16 (docs/decisions/0007-job-api.md):
 * - `job.tags` (text[]) with a GIN index (`tags @> ?`), a trigram index on `name` for `q`
 *   (pg_trgm, a trusted contrib extension), and btree indexes for the sorts by created_at and
 *   finished_at, with and without the owner;
 * - `idempotency_key`: one row per (owner, endpoint, key), inserted first in the transaction that
 *   creates the job or deployment, so that of racing requests exactly one creates;
 * - `job_event`: a job's committed events, kept as long as the job (the outbox keeps an hour). An
 *   AFTER INSERT trigger on outbox_event copies every numbered job event except job.deleted, in the
 *   same transaction. The foreign key is checked at commit (deferred), since a flush may insert the
 *   outbox row before the job row; deleting a job deletes its history.
 */
export class Migration20261202140000JobApi extends Migration {
  override up(): void {
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`alter table "job" add column "tags" text[] not null default '{}';`);
    this.addSql(`create index "job_tags_gin" on "job" using gin ("tags");`);
    this.addSql(`create index "job_name_trgm" on "job" using gin ("name" gin_trgm_ops);`);
    this.addSql(`create index "job_created_at_id_index" on "job" ("created_at", "id");`);
    this.addSql(`create index "job_finished_at_id_index" on "job" ("finished_at", "id");`);
    this.addSql(`create index "job_owner_created_at_index" on "job" ("executed_by", "created_at", "id");`);
    this.addSql(`create index "job_owner_finished_at_index" on "job" ("executed_by", "finished_at", "id");`);

    this.addSql(`create table "idempotency_key" (
  "owner" varchar(255) not null,
  "endpoint" varchar(64) not null,
  "key" varchar(255) not null,
  "request_hash" char(64) not null,
  "resource_id" uuid null,
  "created_at" timestamptz not null default now(),
  primary key ("owner", "endpoint", "key"));`);
    this.addSql(`create index "idempotency_key_created_at_index" on "idempotency_key" ("created_at");`);

    this.addSql(`create table "job_event" (
  "job_id" uuid not null references "job" ("id") on delete cascade deferrable initially deferred,
  "seq" int not null,
  "name" varchar(64) not null,
  "payload" jsonb not null,
  "created_at" timestamptz not null,
  primary key ("job_id", "seq"));`);
    this.addSql(`create or replace function qunest_job_event_history() returns trigger language plpgsql as $$
begin
  if new.job_id is not null and new.seq is not null and new.name <> 'job.deleted' then
    insert into "job_event" ("job_id", "seq", "name", "payload", "created_at")
      values (new.job_id, new.seq, new.name, new.payload, new.created_at)
      on conflict do nothing;
  end if;
  return null;
end $$;`);
    this.addSql(
      `create trigger outbox_event_job_history after insert on "outbox_event" for each row execute function qunest_job_event_history();`,
    );
    // What the outbox still holds of existing jobs (its last hour).
    this.addSql(`insert into "job_event" ("job_id", "seq", "name", "payload", "created_at")
  select o."job_id", o."seq", o."name", o."payload", o."created_at" from "outbox_event" o
   where o."job_id" is not null and o."seq" is not null and o."name" <> 'job.deleted'
     and exists (select 1 from "job" j where j."id" = o."job_id")
  on conflict do nothing;`);
  }

  override down(): void {
    this.addSql(`drop trigger if exists outbox_event_job_history on "outbox_event";`);
    this.addSql(`drop function if exists qunest_job_event_history();`);
    this.addSql(`drop table if exists "job_event";`);
    this.addSql(`drop table if exists "idempotency_key";`);
    for (const index of [
      'job_tags_gin',
      'job_name_trgm',
      'job_created_at_id_index',
      'job_finished_at_id_index',
      'job_owner_created_at_index',
      'job_owner_finished_at_index',
    ]) {
      this.addSql(`drop index if exists "${index}";`);
    }
    this.addSql(`alter table "job" drop column if exists "tags";`);
  }
}
