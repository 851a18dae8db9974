/**
 * The domain events of Qunest: one typed map from event name to payload, composed of the maps each
 * module declares beside its event mapper (jobs, deployments, devices). It is shared by the event bus
 * (which delivers committed events to every process), the workers, and the realtime gateway with its
 * client helper and the admin UI (which push them to socket.io subscribers). Every payload names the
 * rows it is about, and the owner used for visibility (null = public), so that nobody on the path
 * has to read the database again.
 */
import type { DeploymentEventMap } from '../deployments/deployment.events';
import type { DeviceEventMap } from '../devices/device.events';
import type { JobEventMap } from '../jobs/job.events';

export type { JobRef, ResultPayload } from '../jobs/job.events';

export type DomainEventMap = JobEventMap & DeploymentEventMap & DeviceEventMap;

export type DomainEventName = keyof DomainEventMap;

export interface DomainEvent<N extends DomainEventName = DomainEventName> {
  /** Outbox row id. */
  id: number;
  name: N;
  payload: DomainEventMap[N];
}

export type AnyDomainEvent = { [N in DomainEventName]: DomainEvent<N> }[DomainEventName];
