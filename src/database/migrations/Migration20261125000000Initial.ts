import { Migration } from '@mikro-orm/migrations';

/** The first schema: providers and devices, deployments and programs, jobs, results, transient state, the outbox. */
export class Migration20261125000000Initial extends Migration {
  override up(): void {
    this.addSql(
      `create table "deployment" ("id" uuid not null, "name" varchar(200) not null, "deployed_by" varchar(255) null, "deployed_at" timestamptz not null, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "deployment_name_index" on "deployment" ("name");`);
    this.addSql(`create index "deployment_deployed_by_index" on "deployment" ("deployed_by");`);
    this.addSql(
      `create table "outbox_event" ("id" bigserial primary key, "name" varchar(64) not null, "job_id" uuid null, "deployment_id" uuid null, "device_id" uuid null, "owner_id" varchar(255) null, "seq" int null, "payload" jsonb not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "outbox_event_job_id_index" on "outbox_event" ("job_id");`);
    this.addSql(`create index "outbox_event_created_at_index" on "outbox_event" ("created_at");`);
    this.addSql(
      `create table "provider" ("id" uuid not null, "name" varchar(100) not null, "with_token" boolean not null default false, "supported_languages" text[] not null default '{}', primary key ("id"));`,
    );
    this.addSql(`alter table "provider" add constraint "provider_name_unique" unique ("name");`);
    this.addSql(
      `create table "device" ("id" uuid not null, "name" varchar(200) not null, "num_qubits" int not null, "is_simulator" boolean not null default false, "is_local" boolean not null default false, "status" text not null default 'online', "provider_id" uuid not null, primary key ("id"));`,
    );
    this.addSql(`alter table "device" add constraint "device_provider_id_name_unique" unique ("provider_id", "name");`);
    this.addSql(`alter table "device" add constraint "device_status_check" check ("status" in ('online', 'offline'));`);
    this.addSql(
      `create table "job" ("id" uuid not null, "name" varchar(200) null, "executed_by" varchar(255) null, "executed_on_id" uuid not null, "deployment_id" uuid null, "progress" int not null default 0, "state" text not null default 'READY', "shots" int not null, "type" text not null default 'RUNNER', "error_mitigation" text not null default 'none', "cut_to_width" int null, "seed" bigint null, "observables" jsonb null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, "provider_specific_id" varchar(255) null, "queue_job_id" varchar(64) null, "attempts" int not null default 0, "event_seq" int not null default 1, "version" int not null default 1, primary key ("id"));`,
    );
    this.addSql(`create index "job_deployment_id_index" on "job" ("deployment_id");`);
    this.addSql(`create index "job_state_index" on "job" ("state");`);
    this.addSql(`create index "job_executed_by_index" on "job" ("executed_by");`);
    this.addSql(
      `alter table "job" add constraint "job_state_check" check ("state" in ('READY', 'RUNNING', 'FINISHED', 'BLOCKED', 'ERROR', 'CANCELED'));`,
    );
    this.addSql(
      `alter table "job" add constraint "job_type_check" check ("type" in ('RUNNER', 'SAMPLER', 'ESTIMATOR'));`,
    );
    this.addSql(
      `alter table "job" add constraint "job_error_mitigation_check" check ("error_mitigation" in ('none', 'readout_mitigation', 'zne', 'pec', 'dd'));`,
    );
    this.addSql(
      `create table "quantum_program" ("id" uuid not null, "deployment_id" uuid not null, "position" int not null, "quantum_circuit" text not null, "assembler_language" text not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_assembler_language_check" check ("assembler_language" in ('QASM2', 'QASM3', 'QISKIT', 'BRAKET', 'QUIL', 'QRISP', 'PYTHON'));`,
    );
    this.addSql(
      `create table "result" ("id" uuid not null, "job_id" uuid not null, "program_id" uuid null, "result_type" text not null, "data" jsonb not null, "meta" jsonb not null, "created_at" timestamptz not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "result" add constraint "result_result_type_check" check ("result_type" in ('COUNTS', 'PROBABILITIES', 'QUASI_DIST', 'VALUE_AND_VARIANCE', 'ERROR', 'UPLOAD_SUCCESSFUL'));`,
    );
    this.addSql(
      `create table "transient_job_state" ("id" uuid not null, "job_id" uuid not null, "program_id" uuid null, "circuit_fragment_id" varchar(255) null, "data" jsonb not null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "device" add constraint "device_provider_id_foreign" foreign key ("provider_id") references "provider" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "job" add constraint "job_executed_on_id_foreign" foreign key ("executed_on_id") references "device" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "job" add constraint "job_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "result" add constraint "result_job_id_foreign" foreign key ("job_id") references "job" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "result" add constraint "result_program_id_foreign" foreign key ("program_id") references "quantum_program" ("id") on delete set null;`,
    );
    this.addSql(
      `alter table "transient_job_state" add constraint "transient_job_state_job_id_foreign" foreign key ("job_id") references "job" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "transient_job_state" add constraint "transient_job_state_program_id_foreign" foreign key ("program_id") references "quantum_program" ("id") on delete cascade;`,
    );
    this.addSql(`create index "job_created_at_index" on "job" ("created_at");`);
    this.addSql(`create index "job_executed_on_id_index" on "job" ("executed_on_id");`);
    this.addSql(
      `create index "quantum_program_deployment_id_index" on "quantum_program" ("deployment_id", "position");`,
    );
    this.addSql(`create index "result_job_id_index" on "result" ("job_id");`);
    this.addSql(`create index "transient_job_state_job_id_index" on "transient_job_state" ("job_id");`);
    this.addSql(`-- The outbox trigger numbers the events of a job (gapless: transactions touching one job serialize
-- on its row lock) and copies the number into the payload.
create or replace function qunest_outbox_number() returns trigger language plpgsql as $$
begin
  if new.job_id is not null and new.seq is null then
    update "job" set "event_seq" = "event_seq" + 1 where "id" = new.job_id returning "event_seq" into new.seq;
  end if;
  if new.seq is not null then
    new.payload := jsonb_set(new.payload, '{seq}', to_jsonb(new.seq));
  end if;
  return new;
end $$;`);
    this.addSql(
      `create trigger outbox_event_number before insert on "outbox_event" for each row execute function qunest_outbox_number();`,
    );
    this.addSql(`-- NOTIFY is transactional: PostgreSQL delivers it to every listener after commit, never on rollback.
-- Payloads stay under NOTIFY's 8000-byte limit; a larger event is announced by id and read back.
create or replace function qunest_outbox_notify() returns trigger language plpgsql as $$
declare msg text;
begin
  msg := json_build_object('id', new.id, 'name', new.name, 'payload', new.payload)::text;
  if octet_length(msg) > 7500 then
    msg := json_build_object('id', new.id, 'name', new.name)::text;
  end if;
  perform pg_notify('qunest_events', msg);
  return null;
end $$;`);
    this.addSql(
      `create trigger outbox_event_notify after insert on "outbox_event" for each row execute function qunest_outbox_notify();`,
    );
  }

  override down(): void {
    this.addSql(
      'drop table if exists "transient_job_state", "result", "job", "quantum_program", "deployment", "device", "provider", "outbox_event" cascade;',
    );
    this.addSql('drop function if exists qunest_outbox_number() cascade;');
    this.addSql('drop function if exists qunest_outbox_notify() cascade;');
  }
}
