import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';

/**
 * A subscription of one user (or, for admins, of everyone's rows) to domain events, delivered as
 * signed HTTP POSTs. The secret is stored sealed when TOKEN_ENCRYPTION_KEY is set (see
 * webhook-secrets.ts); it is answered once, at creation.
 */
export const WebhookSchema = defineEntity({
  name: 'Webhook',
  tableName: 'webhook',
  indexes: [
    // the outbox trigger finds an event's webhooks with `events && array[name, '*']`
    {
      name: 'webhook_events_index',
      expression: 'create index "webhook_events_index" on "webhook" using gin ("events")',
    },
  ],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    /** The user who created it (null: the anonymous admin of open mode). */
    ownerId: p.string().length(255).nullable().index(),
    /** Created by an admin: receives the events of every row, not only public rows and the owner's. */
    allRows: p.boolean().default(false),
    url: p.string().length(2048),
    /** Domain event names, or `*` for all. */
    events: p.array<string>(),
    /** `v1.<iv>.<tag>.<ciphertext>` (sealed) or `plain.<secret>`. */
    secret: p.text().hidden(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class Webhook extends WebhookSchema.class {}
WebhookSchema.setClass(Webhook);

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** The event as it is POSTed: `{id, name, seq, payload, at}`. */
export interface WebhookEventBody {
  /** The outbox id of the event. */
  id: number;
  name: string;
  seq: number | null;
  payload: Record<string, unknown>;
  at: string;
}

/**
 * One event to deliver to one webhook. Written by the outbox trigger (migration
 * Migration20261202150000Webhooks) in the transaction of the change, never by the application.
 */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  indexes: [
    {
      name: 'webhook_delivery_pending_index',
      expression: `create index "webhook_delivery_pending_index" on "webhook_delivery" ("webhook_id", "outbox_id") where "state" = 'pending'`,
    },
    {
      name: 'webhook_delivery_finished_at_index',
      expression: `create index "webhook_delivery_finished_at_index" on "webhook_delivery" ("finished_at") where "finished_at" is not null`,
    },
    { properties: ['outboxId'], name: 'webhook_delivery_outbox_id_index' },
  ],
  properties: {
    id: p.uuid().primary(),
    webhook: () => p.manyToOne(Webhook).deleteRule('cascade'),
    outboxId: p.bigint('number'),
    eventName: p.string().length(64),
    seq: p.integer().nullable(),
    body: p.json<WebhookEventBody>(),
    state: p.enum(DELIVERY_STATES).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    createdAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
  },
});

export class WebhookDelivery extends WebhookDeliverySchema.class {}
WebhookDeliverySchema.setClass(WebhookDelivery);

/** One HTTP attempt of a delivery: the delivery log of GET /api/webhooks/:id/deliveries. */
export const WebhookAttemptSchema = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  indexes: [
    { properties: ['webhook', 'at'], name: 'webhook_attempt_webhook_id_at_index' },
    { properties: ['delivery'], name: 'webhook_attempt_delivery_id_index' },
  ],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    webhook: () => p.manyToOne(Webhook).deleteRule('cascade'),
    delivery: () => p.manyToOne(WebhookDelivery).deleteRule('cascade'),
    /** 1 for the first attempt. */
    attempt: p.integer(),
    at: p.datetime(),
    eventName: p.string().length(64),
    /** The receiver's HTTP status, or null when there was no answer (see error). */
    status: p.integer().nullable(),
    error: p.string().length(1024).nullable(),
    durationMs: p.integer(),
    /** The start of the answer's body, at most 1 KB. */
    responseBody: p.string().length(1024).nullable(),
  },
});

export class WebhookAttempt extends WebhookAttemptSchema.class {}
WebhookAttemptSchema.setClass(WebhookAttempt);
