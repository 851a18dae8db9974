import type { DomainEventName } from '../events/domain-events';

/**
 * Every domain event name a webhook may subscribe to. A Record over DomainEventName, so that a new
 * event in the map does not compile until it is listed here too.
 */
const NAMES: Record<DomainEventName, true> = {
  'job.created': true,
  'job.state': true,
  'job.progress': true,
  'job.result': true,
  'job.error': true,
  'job.deleted': true,
  'deployment.created': true,
  'deployment.updated': true,
  'deployment.deleted': true,
  'device.status': true,
};

export const WEBHOOK_EVENT_NAMES: readonly DomainEventName[] = Object.keys(NAMES) as DomainEventName[];

/** `*`: every event. */
export const ALL_EVENTS = '*';
