import type { ChangeSet, EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import { OutboxEvent } from './outbox-event.entity';

/**
 * An event a mapper derives from a change set, before the outbox row exists. The outbox knows no
 * event names: each module types its own (see events/domain-events.ts for the whole map).
 */
export interface PendingEvent {
  name: string;
  jobId?: string | null;
  deploymentId?: string | null;
  deviceId?: string | null;
  ownerId: string | null;
  /**
   * Only for an event that fixes its own seq (job.created is 1). Others are numbered here when the
   * job's row is updated in the same flush (see {@link JobSeq}), else by the trigger.
   */
  seq?: number;
  /** Payload without `seq` (the trigger adds it for job events). */
  payload: object;
  /** Lower goes first within one flush: results and errors before the state change that ends a job. */
  order: number;
}

/** Turns one change set into zero or more events. Each module registers the mapper of its entities. */
export type EventMapper = (changeSet: ChangeSet<object>, out: PendingEvent[]) => void;

/**
 * How a module lets the outbox number its events in the flush itself: for a change set of an entity
 * that carries a per-job event counter (the Job), `counter` gives its id and the property that holds
 * the current seq. When that entity is updated in the flush, its events get seq = current + 1..k and
 * the property is raised by k, so the ORM's own UPDATE of the row (with its version check, which
 * serializes concurrent writers of one job) writes the new counter; no extra UPDATE per event.
 * Events of a job whose row is not updated in the flush (job.deleted) are numbered by the trigger.
 */
export interface JobSeq {
  counter: (entity: object) => { jobId: string; property: string } | null;
}

/**
 * Writes the domain events of a flush into the outbox, in the same transaction as the change.
 * It runs in `onFlush`, where the change sets are known and new rows can still join the flush.
 */
export class OutboxSubscriber implements EventSubscriber {
  constructor(
    private readonly mappers: readonly EventMapper[],
    private readonly jobSeq?: JobSeq,
  ) {}

  onFlush({ em, uow }: FlushEventArgs): void {
    if (this.mappers.length === 0) return;
    const pending: PendingEvent[] = [];
    for (const cs of uow.getChangeSets()) {
      if (cs.entity instanceof OutboxEvent) continue;
      for (const mapper of this.mappers) mapper(cs as ChangeSet<object>, pending);
    }
    if (pending.length === 0) return;
    pending.sort((a, b) => a.order - b.order);
    this.number(uow, pending);
    for (const e of pending) {
      const row = em.create(OutboxEvent, {
        name: e.name,
        jobId: e.jobId ?? null,
        deploymentId: e.deploymentId ?? null,
        deviceId: e.deviceId ?? null,
        ownerId: e.ownerId,
        seq: e.seq ?? null,
        payload: { ...e.payload },
        createdAt: new Date(),
      });
      uow.computeChangeSet(row);
    }
  }

  /** Numbers the events of jobs updated in this flush (in their sorted order), and raises their counters. */
  private number(uow: FlushEventArgs['uow'], pending: PendingEvent[]): void {
    if (!this.jobSeq) return;
    const updated = new Map<string, { entity: Record<string, number>; property: string }>();
    for (const cs of uow.getChangeSets()) {
      if (cs.type !== 'update') continue;
      const c = this.jobSeq.counter(cs.entity);
      if (c) updated.set(c.jobId, { entity: cs.entity as Record<string, number>, property: c.property });
    }
    if (updated.size === 0) return;
    const touched = new Set<object>();
    for (const e of pending) {
      if (e.seq != null || !e.jobId) continue;
      const job = updated.get(e.jobId);
      if (!job) continue;
      job.entity[job.property] += 1;
      e.seq = job.entity[job.property];
      touched.add(job.entity);
    }
    for (const entity of touched) uow.recomputeSingleChangeSet(entity);
  }
}
