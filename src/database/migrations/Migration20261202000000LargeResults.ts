import { Migration } from '@mikro-orm/migrations';

/**
 * Large results (docs/decisions/0005-large-results.md): `result_data` holds the entries of a
 * distribution larger than the inline limit in chunks, in the stored order (most probable first);
 * `result.data` keeps the most probable entries and `result.data_entries` counts the stored ones.
 * Results stored before this migration with more than 4,096 numeric entries are moved the same way
 * (with the default limit then, RESULT_INLINE_ENTRIES 4096), so that reading their job stops loading them.
 */
export class Migration20261202000000LargeResults extends Migration {
  override up(): void {
    this.addSql(`alter table "result" add column "data_entries" int null;`);
    this.addSql(
      `create table "result_data" ("id" bigserial primary key, "result_id" uuid not null, "chunk" int not null, "first_entry" int not null, "entry_count" int not null, "entries" text not null);`,
    );
    this.addSql(
      `alter table "result_data" add constraint "result_data_result_id_chunk_unique" unique ("result_id", "chunk");`,
    );
    this.addSql(
      `alter table "result_data" add constraint "result_data_result_id_foreign" foreign key ("result_id") references "result" ("id") on delete cascade;`,
    );
    this.addSql(`with big as (
  select r.id from "result" r
  where r.result_type in ('COUNTS', 'PROBABILITIES', 'QUASI_DIST') and jsonb_typeof(r.data) = 'object'
    and (select count(*) from jsonb_object_keys(r.data)) > 4096
    and not exists (select 1 from jsonb_each(r.data) e where jsonb_typeof(e.value) <> 'number')
), ranked as (
  select r.id as result_id, e.key, e.value,
    row_number() over (partition by r.id order by (e.value)::float8 desc, e.key collate "C") - 1 as n
  from big b join "result" r on r.id = b.id cross join lateral jsonb_each(r.data) e
)
insert into "result_data" ("result_id", "chunk", "first_entry", "entry_count", "entries")
select result_id, n / 10000, min(n), count(*), json_agg(json_build_array(key, value) order by n)::text
from ranked group by result_id, n / 10000;`);
    this.addSql(`update "result" r set
  "data" = (select jsonb_object_agg(x.key, x.value) from (
    select e.key, e.value from jsonb_each(r.data) e order by (e.value)::float8 desc, e.key collate "C" limit 4096) x),
  "data_entries" = s.total,
  "meta" = r.meta || jsonb_build_object('truncated', true, 'entries', s.total, 'storedEntries', s.total, 'inlineEntries', 4096)
from (select result_id, sum(entry_count)::int as total from "result_data" group by result_id) s
where s.result_id = r.id;`);
  }

  override down(): void {
    this.addSql(`update "result" r set
  "data" = (select jsonb_object_agg(e->>0, (e->1)::jsonb) from "result_data" d
    cross join lateral json_array_elements(d.entries::json) e where d.result_id = r.id),
  "meta" = r.meta - 'truncated' - 'entries' - 'storedEntries' - 'inlineEntries' - 'droppedEntries' - 'droppedWeight'
where r.data_entries is not null;`);
    this.addSql(`drop table if exists "result_data" cascade;`);
    this.addSql(`alter table "result" drop column "data_entries";`);
  }
}
