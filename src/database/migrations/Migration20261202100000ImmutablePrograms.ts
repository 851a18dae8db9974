import { Migration } from '@mikro-orm/migrations';

/**
 * Immutable programs (docs/decisions/0006-immutable-programs.md): a deployment has a `revision`, each
 * program the revision it belongs to; a PUT detaches the old programs (deployment_id null) instead of
 * deleting them, and a deleted deployment leaves its programs behind (on delete set null). A job
 * records the revision it was submitted with and, in `job_program`, the program rows it runs, which
 * cannot be deleted while it exists (on delete restrict). Existing deployments and their programs
 * become revision 1; existing jobs of an existing deployment run its programs.
 */
export class Migration20261202100000ImmutablePrograms extends Migration {
  override up(): void {
    this.addSql(`alter table "deployment" add column "revision" int not null default 1;`);
    this.addSql(`alter table "quantum_program" add column "revision" int not null default 1;`);
    this.addSql(`alter table "quantum_program" alter column "deployment_id" drop not null;`);
    this.addSql(`alter table "quantum_program" drop constraint "quantum_program_deployment_id_foreign";`);
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on delete set null;`,
    );
    this.addSql(`alter table "job" add column "deployment_revision" int null;`);
    this.addSql(
      `create table "job_program" ("job_id" uuid not null, "program_id" uuid not null, primary key ("job_id", "program_id"));`,
    );
    this.addSql(`create index "job_program_program_id_index" on "job_program" ("program_id");`);
    this.addSql(
      `alter table "job_program" add constraint "job_program_job_id_foreign" foreign key ("job_id") references "job" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "job_program" add constraint "job_program_program_id_foreign" foreign key ("program_id") references "quantum_program" ("id") on update cascade on delete restrict;`,
    );
    this.addSql(`update "job" set "deployment_revision" = 1 where "deployment_id" is not null;`);
    this.addSql(
      `insert into "job_program" ("job_id", "program_id") select j."id", p."id" from "job" j join "quantum_program" p on p."deployment_id" = j."deployment_id";`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "job_program";`);
    this.addSql(`alter table "job" drop column "deployment_revision";`);
    // Programs no deployment holds any more go (their results lose the link, as before this migration).
    this.addSql(`delete from "quantum_program" where "deployment_id" is null;`);
    this.addSql(`alter table "quantum_program" drop constraint "quantum_program_deployment_id_foreign";`);
    this.addSql(
      `alter table "quantum_program" add constraint "quantum_program_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "quantum_program" alter column "deployment_id" set not null;`);
    this.addSql(`alter table "quantum_program" drop column "revision";`);
    this.addSql(`alter table "deployment" drop column "revision";`);
  }
}
