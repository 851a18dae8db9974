/**
 * Which socket.io rooms an event goes to, and which rooms a subscription joins. Pure functions of the
 * event payload and the principal: the event path never reads the database.
 *
 * Visibility is decided by the rooms themselves. A job or deployment event of a public row
 * (ownerId null) goes to the plain room (`deployment:<id>`); an owned row's event goes to the owner's
 * room of that scope (`deployment:<id>:user:<sub>`) and its admin room (`deployment:<id>:admin`),
 * never to the plain room, so that a user following a public deployment does not receive another
 * user's private job on it. The `admin` room receives everything.
 */
import type { Principal } from '../auth/principal';
import type { AnyDomainEvent, DomainEventName } from '../events/domain-events';
import type { SubscriptionTarget } from './realtime.contract';

export const ADMIN_ROOM = 'admin';

export const jobRoom = (jobId: string) => `job:${jobId}`;
export const deploymentRoom = (deploymentId: string) => `deployment:${deploymentId}`;
export const deviceRoom = (deviceId: string) => `device:${deviceId}`;

/** Job events a device subscription receives: the queue view (no progress, results or errors). */
const DEVICE_JOB_EVENTS: ReadonlySet<DomainEventName> = new Set(['job.created', 'job.state', 'job.deleted']);

/** The rooms of a scope (`deployment:<id>` or `device:<id>`) that may see a row owned by `ownerId`. */
function scoped(base: string, ownerId: string | null | undefined): string[] {
  return ownerId == null ? [base] : [`${base}:user:${ownerId}`, `${base}:admin`];
}

/** The rooms one event goes to (a socket in several of them receives it once). */
export function roomsForEvent(event: AnyDomainEvent): string[] {
  switch (event.name) {
    case 'job.created':
    case 'job.state':
    case 'job.progress':
    case 'job.result':
    case 'job.error':
    case 'job.deleted': {
      const p = event.payload;
      const rooms = [jobRoom(p.jobId), ADMIN_ROOM];
      if (p.deploymentId) rooms.push(...scoped(deploymentRoom(p.deploymentId), p.ownerId));
      if (DEVICE_JOB_EVENTS.has(event.name)) rooms.push(...scoped(deviceRoom(p.deviceId), p.ownerId));
      return rooms;
    }
    case 'deployment.created':
      return [ADMIN_ROOM];
    case 'deployment.updated':
    case 'deployment.deleted':
      return [ADMIN_ROOM, ...scoped(deploymentRoom(event.payload.deploymentId), event.payload.ownerId)];
    case 'device.status':
      return [ADMIN_ROOM, deviceRoom(event.payload.deviceId)];
    default:
      return [];
  }
}

/**
 * The rooms a subscription joins, once the target has been found visible to the principal.
 * Returns null for `{all: true}` asked by someone who is not an admin.
 */
export function roomsForSubscription(principal: Principal, target: SubscriptionTarget): string[] | null {
  if ('jobId' in target) return [jobRoom(target.jobId)];
  if ('all' in target) return principal.isAdmin ? [ADMIN_ROOM] : null;
  const base = 'deploymentId' in target ? deploymentRoom(target.deploymentId) : deviceRoom(target.deviceId);
  if (principal.isAdmin) return [base, `${base}:admin`];
  if (principal.userId !== null) return [base, `${base}:user:${principal.userId}`];
  return [base];
}
