import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { NotFound } from '../common/errors';
import { Device } from './device.entity';
import type { DeviceQueryDto, UpdateDeviceDto } from './dto/device.dto';
import { Provider } from './provider.entity';
import { isUuid } from '../common/uuid';

export const LOCAL_PROVIDER = 'LOCAL';
export const LOCAL_SIMULATOR = 'statevector-simulator';

@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  constructor(
    private readonly em: EntityManager,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Makes sure the LOCAL provider and its statevector simulator exist, with the configured size.
   * Idempotent, and safe when several processes start at once.
   */
  async seed(): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const em = this.em.fork();
      try {
        let provider = await em.findOne(Provider, { name: LOCAL_PROVIDER });
        if (!provider) {
          provider = em.create(Provider, {
            name: LOCAL_PROVIDER,
            withToken: false,
            supportedLanguages: ['QASM2', 'QASM3'],
          });
        }
        let device = await em.findOne(Device, { provider, name: LOCAL_SIMULATOR });
        if (!device) {
          device = em.create(Device, {
            name: LOCAL_SIMULATOR,
            provider,
            numQubits: this.config.localDeviceQubits,
            isSimulator: true,
            isLocal: true,
            status: 'online',
          });
        } else if (device.numQubits !== this.config.localDeviceQubits) {
          device.numQubits = this.config.localDeviceQubits;
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
    const where: Record<string, unknown> = {};
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
