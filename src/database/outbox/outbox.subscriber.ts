import type { ChangeSet, EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import type { DomainEventMap, DomainEventName } from './domain-events';
import { OutboxEvent } from './outbox-event.entity';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event a mapper derives from a change set, before the outbox row exists. */
export interface PendingEvent<N extends DomainEventName = DomainEventName> {
  name: N;
  jobId?: string | null;
  deploymentId?: string | null;
  deviceId?: string | null;
  ownerId: string | null;
  /** Only for an event that fixes its own seq (job.created is 1); others are numbered by the trigger. */
  seq?: number;
  /** Payload without `seq` (the trigger adds it for job events). */
  payload: DistributiveOmit<DomainEventMap[N], 'seq'>;
  /** Lower goes first within one flush: results and errors before the state change that ends a job. */
  order: number;
}

/** Turns one change set into zero or more events. Each module registers the mapper of its entities. */
export type EventMapper = (changeSet: ChangeSet<object>, out: PendingEvent[]) => void;

/**
 * Writes the domain events of a flush into the outbox, in the same transaction as the change.
 * It runs in `onFlush`, where the change sets are known and new rows can still join the flush.
 */
export class OutboxSubscriber implements EventSubscriber {
  constructor(private readonly mappers: readonly EventMapper[]) {}

  onFlush({ em, uow }: FlushEventArgs): void {
    if (this.mappers.length === 0) return;
    const pending: PendingEvent[] = [];
    for (const cs of uow.getChangeSets()) {
      if (cs.entity instanceof OutboxEvent) continue;
      for (const mapper of this.mappers) mapper(cs as ChangeSet<object>, pending);
    }
    if (pending.length === 0) return;
    pending.sort((a, b) => a.order - b.order);
    for (const e of pending) {
      const row = em.create(OutboxEvent, {
        name: e.name,
        jobId: e.jobId ?? null,
        deploymentId: e.deploymentId ?? null,
        deviceId: e.deviceId ?? null,
        ownerId: e.ownerId,
        seq: e.seq ?? null,
        payload: e.payload as Record<string, unknown>,
        createdAt: new Date(),
      });
      uow.computeChangeSet(row);
    }
  }
}
