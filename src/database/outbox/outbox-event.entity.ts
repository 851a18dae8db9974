import { defineEntity, p } from '@mikro-orm/core';

/**
 * The transactional outbox: a domain event is a row written in the transaction that made the
 * change. A trigger (see the migrations) numbers job events and NOTIFYs the row, so PostgreSQL
 * delivers it to every listening process after commit, and never for a rolled-back transaction.
 */
export const OutboxEventSchema = defineEntity({
  name: 'OutboxEvent',
  tableName: 'outbox_event',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    name: p.string().length(64),
    jobId: p.uuid().nullable().index(),
    deploymentId: p.uuid().nullable(),
    deviceId: p.uuid().nullable(),
    ownerId: p.string().length(255).nullable(),
    /** Filled by the trigger for job events. */
    seq: p.integer().nullable(),
    payload: p.json<Record<string, unknown>>(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .index(),
  },
});

export class OutboxEvent extends OutboxEventSchema.class {}
OutboxEventSchema.setClass(OutboxEvent);
