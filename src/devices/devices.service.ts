import { EntityManager, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';
import { NotFound } from '../common/errors';
import { Device } from './device.entity';
import type { DeviceQueryDto, UpdateDeviceDto } from './dto/device.dto';
import { ProviderCatalog } from './provider-catalog';
import { Provider } from './provider.entity';
import { isUuid } from '../common/uuid';

@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: ProviderCatalog,
  ) {}

  /**
   * Makes sure every provider of the catalog (the registered backends) exists with its seeded
   * devices, languages and device sizes as configured. Idempotent, and safe when several processes
   * start at once. Devices found by a sync and devices of providers no longer registered are left alone.
   */
  async seed(): Promise<void> {
    const catalog = this.catalog.providers();
    for (let attempt = 0; attempt < 3; attempt++) {
      const em = this.em.fork();
      try {
        const existing = await em.find(
          Provider,
          { name: { $in: catalog.map((p) => p.name) } },
          { populate: ['devices'] },
        );
        for (const described of catalog) {
          const provider =
            existing.find((p) => p.name === described.name) ??
            em.create(Provider, { name: described.name, withToken: described.withToken, supportedLanguages: [] });
          provider.withToken = described.withToken;
          if (provider.supportedLanguages.join() !== described.languages.join()) {
            provider.supportedLanguages = [...described.languages];
          }
          for (const d of described.devices) {
            const device = provider.devices.find((x) => x.name === d.name);
            if (!device) em.create(Device, { ...d, provider, status: 'online' });
            else if (device.numQubits !== d.numQubits) device.numQubits = d.numQubits;
          }
        }
        await em.flush();
        return;
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException)) throw err;
        this.logger.debug('another process seeded the devices at the same time; reading again');
      }
    }
  }

  async listProviders(limit: number, offset: number): Promise<[Provider[], number]> {
    return this.em.findAndCount(Provider, {}, { populate: ['devices'], orderBy: { name: 'asc' }, limit, offset });
  }

  async getProvider(id: string): Promise<Provider> {
    const provider = isUuid(id) ? await this.em.findOne(Provider, { id }, { populate: ['devices'] }) : null;
    if (!provider) throw new NotFound('provider', id);
    return provider;
  }

  async listDevices(q: DeviceQueryDto): Promise<[Device[], number]> {
    const where: FilterQuery<Device> = {};
    if (q.provider !== undefined) where.provider = isUuid(q.provider) ? { id: q.provider } : { name: q.provider };
    if (q.minQubits !== undefined) where.numQubits = { $gte: q.minQubits };
    if (q.isSimulator !== undefined) where.isSimulator = q.isSimulator;
    if (q.isLocal !== undefined) where.isLocal = q.isLocal;
    return this.em.findAndCount(Device, where, {
      populate: ['provider'],
      orderBy: { provider: { name: 'asc' }, name: 'asc' },
      limit: q.limit,
      offset: q.offset,
    });
  }

  async getDevice(id: string, em: EntityManager = this.em): Promise<Device> {
    const device = isUuid(id) ? await em.findOne(Device, { id }, { populate: ['provider'] }) : null;
    if (!device) throw new NotFound('device', id);
    return device;
  }

  async findByName(providerName: string, deviceName: string, em: EntityManager = this.em): Promise<Device> {
    const device = await em.findOne(
      Device,
      { provider: { name: providerName }, name: deviceName },
      { populate: ['provider'] },
    );
    if (!device) throw new NotFound('device', `${providerName}/${deviceName}`);
    return device;
  }

  async update(id: string, dto: UpdateDeviceDto): Promise<Device> {
    const device = await this.getDevice(id);
    device.status = dto.status;
    await this.em.flush();
    return device;
  }
}
