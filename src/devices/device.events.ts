import type { ChangeSet } from '@mikro-orm/core';
import type { EventMapper } from '../database/outbox/outbox.subscriber';
import { Device } from './device.entity';

/** The events of devices (part of events/domain-events.ts' DomainEventMap). */
export interface DeviceEventMap {
  'device.status': { deviceId: string; providerId: string; name: string; status: string; at: string };
}

/** device.status when a device goes online or offline. */
export const deviceEventMapper: EventMapper = (cs: ChangeSet<object>, out) => {
  const device = cs.entity;
  if (!(device instanceof Device) || cs.type !== 'update' || !('status' in (cs.payload as object))) return;
  out.push({
    name: 'device.status',
    deviceId: device.id,
    ownerId: null,
    payload: {
      deviceId: device.id,
      providerId: device.provider.id,
      name: device.name,
      status: device.status,
      at: new Date().toISOString(),
    } satisfies DeviceEventMap['device.status'],
    order: 0,
  });
};
