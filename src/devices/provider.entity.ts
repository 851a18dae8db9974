import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { Device } from './device.entity';

export const ProviderSchema = defineEntity({
  name: 'Provider',
  tableName: 'provider',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    name: p.string().length(100).unique(),
    withToken: p.boolean().default(false),
    supportedLanguages: p.array<string>().default([]),
    devices: () => p.oneToMany(Device).mappedBy('provider'),
  },
});

export class Provider extends ProviderSchema.class {}
ProviderSchema.setClass(Provider);
