import { defineEntity, p } from '@mikro-orm/core';
import type { NoiseModel } from '../quantum';
import { uuidv7 } from '../common/uuid';
import { Provider } from './provider.entity';

export const DEVICE_STATUSES = ['online', 'offline'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const DeviceSchema = defineEntity({
  name: 'Device',
  tableName: 'device',
  uniques: [{ properties: ['provider', 'name'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    name: p.string().length(200),
    numQubits: p.integer(),
    isSimulator: p.boolean().default(false),
    isLocal: p.boolean().default(false),
    status: p.enum(DEVICE_STATUSES).default('online'),
    /** A remote device's id at its provider (a Braket device ARN, an IBM backend name); null for local ones. */
    providerDeviceId: p.string().length(255).nullable(),
    /** A noisy simulated device's noise model (docs/noise.md); null for ideal and remote devices. */
    noiseModel: p.json<NoiseModel>().nullable(),
    provider: () => p.manyToOne(Provider).deleteRule('cascade'),
  },
});

export class Device extends DeviceSchema.class {}
DeviceSchema.setClass(Device);
