import { Migration } from '@mikro-orm/migrations';

/**
 * Signed webhooks (src/webhooks, docs/webhooks.md). `webhook` holds the subscriptions; an AFTER INSERT
 * trigger on `outbox_event` writes one `webhook_delivery` row per matching webhook **in the transaction
 * of the change**, so a committed event has its deliveries committed with it (and a rolled-back one
 * has none), whatever happens to the processes afterwards. Matching: the event's name is in the
 * webhook's `events` (or `*`), and the webhook sees the row (the ownership rule: `all_rows` for
 * admins, otherwise public rows and the webhook owner's own). `webhook_attempt` is the delivery log.
 */
export class Migration20261202150000Webhooks extends Migration {
  override up(): void {
    this.addSql(`create table "webhook" (
  "id" uuid not null primary key,
  "owner_id" varchar(255) null,
  "all_rows" boolean not null default false,
  "url" varchar(2048) not null,
  "events" text[] not null,
  "secret" text not null,
  "created_at" timestamptz not null
);`);
    this.addSql(`create index "webhook_owner_id_index" on "webhook" ("owner_id");`);
    // the trigger finds the webhooks of an event by name with `events && array[name, '*']`
    this.addSql(`create index "webhook_events_index" on "webhook" using gin ("events");`);
    this.addSql(`create table "webhook_delivery" (
  "id" uuid not null primary key,
  "webhook_id" uuid not null,
  "outbox_id" bigint not null,
  "event_name" varchar(64) not null,
  "seq" int null,
  "body" jsonb not null,
  "state" text not null default 'pending' check ("state" in ('pending', 'delivered', 'failed')),
  "attempts" int not null default 0,
  "next_attempt_at" timestamptz not null,
  "created_at" timestamptz not null,
  "finished_at" timestamptz null
);`);
    this.addSql(
      `create index "webhook_delivery_pending_index" on "webhook_delivery" ("webhook_id", "outbox_id") where "state" = 'pending';`,
    );
    this.addSql(`create index "webhook_delivery_outbox_id_index" on "webhook_delivery" ("outbox_id");`);
    this.addSql(`create table "webhook_attempt" (
  "id" uuid not null primary key,
  "webhook_id" uuid not null,
  "delivery_id" uuid not null,
  "attempt" int not null,
  "at" timestamptz not null,
  "event_name" varchar(64) not null,
  "status" int null,
  "error" varchar(1024) null,
  "duration_ms" int not null,
  "response_body" varchar(1024) null
);`);
    this.addSql(
      `alter table "webhook_delivery" add constraint "webhook_delivery_webhook_id_foreign" foreign key ("webhook_id") references "webhook" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_attempt" add constraint "webhook_attempt_webhook_id_foreign" foreign key ("webhook_id") references "webhook" ("id") on delete cascade;`,
    );
    this.addSql(
      `alter table "webhook_attempt" add constraint "webhook_attempt_delivery_id_foreign" foreign key ("delivery_id") references "webhook_delivery" ("id") on delete cascade;`,
    );
    this.addSql(`create index "webhook_attempt_webhook_id_at_index" on "webhook_attempt" ("webhook_id", "at");`);
    this.addSql(`create index "webhook_attempt_delivery_id_index" on "webhook_attempt" ("delivery_id");`);
    this.addSql(
      `create index "webhook_delivery_finished_at_index" on "webhook_delivery" ("finished_at") where "finished_at" is not null;`,
    );
    this.addSql(`create or replace function qunest_webhook_fan_out() returns trigger language plpgsql as $$
begin
  insert into "webhook_delivery" ("id", "webhook_id", "outbox_id", "event_name", "seq", "body", "state", "attempts", "next_attempt_at", "created_at")
  select gen_random_uuid(), w."id", new."id", new."name", new."seq",
         jsonb_build_object('id', new."id", 'name', new."name", 'seq', new."seq", 'payload', new."payload",
                            'at', coalesce(new."payload" -> 'at', to_jsonb(new."created_at"))),
         'pending', 0, now(), now()
    from "webhook" w
   where w."events" && array[new."name", '*']::text[]
     and (w."all_rows" or new."owner_id" is null or new."owner_id" = w."owner_id");
  return null;
end $$;`);
    this.addSql(
      `create trigger outbox_event_webhooks after insert on "outbox_event" for each row execute function qunest_webhook_fan_out();`,
    );
  }

  override down(): void {
    this.addSql('drop trigger if exists outbox_event_webhooks on "outbox_event";');
    this.addSql('drop function if exists qunest_webhook_fan_out();');
    this.addSql('drop table if exists "webhook_attempt";');
    this.addSql('drop table if exists "webhook_delivery";');
    this.addSql('drop table if exists "webhook";');
  }
}
