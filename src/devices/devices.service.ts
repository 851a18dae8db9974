import { EntityManager, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { NotFound, Unprocessable } from '../common/errors';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Device } from './device.entity';
import type { DeviceQueryDto, UpdateDeviceDto } from './dto/device.dto';
import { ProviderCatalog, type LiveDeviceStatus, type RemoteDeviceRef } from './provider-catalog';
import { Provider } from './provider.entity';
import { isUuid } from '../common/uuid';
import { noiseModelProblem, validateNoiseModel } from '../quantum';

@Injectable()
export class DevicesService {
  private readonly logger = new Logger(DevicesService.name);

  private readonly statusCache = new Map<string, { until: number; status: LiveDeviceStatus }>();

  constructor(
    private readonly em: EntityManager,
    private readonly catalog: ProviderCatalog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
            const providerDeviceId = d.providerDeviceId ?? null;
            const noiseModel = d.noiseModel ? structuredClone(d.noiseModel) : null;
            if (!device) em.create(Device, { ...d, providerDeviceId, noiseModel, provider, status: 'online' });
            else {
              if (device.numQubits !== d.numQubits) device.numQubits = d.numQubits;
              // A model an admin changed is kept; a noisy device that had none gets the seeded one.
              if (noiseModel && !device.noiseModel) device.noiseModel = noiseModel;
              if ((device.providerDeviceId ?? null) !== providerDeviceId) device.providerDeviceId = providerDeviceId;
            }
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

  /** Several devices with their providers, in one query (JobsService's group commit of submissions). */
  async getDevices(ids: string[], em: EntityManager = this.em): Promise<Map<string, Device>> {
    const valid = [...new Set(ids.filter(isUuid))];
    if (valid.length === 0) return new Map();
    const found = await em.find(Device, { id: { $in: valid } }, { populate: ['provider'] });
    return new Map(found.map((d) => [d.id, d]));
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

  /**
   * Sets a device's status and/or, for a noisy device, its noise model (checked whole: 422 naming the
   * first bad field, e.g. `noiseModel.readoutError.p01`). Jobs that start after it run with the new model.
   */
  async update(id: string, dto: UpdateDeviceDto): Promise<Device> {
    if (dto.status === undefined && dto.noiseModel === undefined) {
      throw new Unprocessable('send status and/or noiseModel', { field: 'status' });
    }
    const device = await this.getDevice(id);
    if (dto.noiseModel !== undefined) {
      if (!device.noiseModel) {
        throw new Unprocessable(
          `device ${device.provider.name}/${device.name} has no noise model to change: only a noisy local device has one (${device.isLocal ? 'this one is an ideal simulator' : 'this one runs at its provider'})`,
          { field: 'noiseModel' },
        );
      }
      const problem = noiseModelProblem(dto.noiseModel, 'noiseModel');
      if (problem) throw new Unprocessable(problem.message, { field: problem.field });
      device.noiseModel = validateNoiseModel(dto.noiseModel);
    }
    if (dto.status !== undefined) device.status = dto.status;
    await this.em.flush();
    return device;
  }

  /**
   * A device's queue and waits: its READY jobs here, the waits (submission to start) of the jobs
   * that started on it in the last 24 h (null without any), and for a remote device the provider's
   * own queue length from its last live status (null when not asked lately).
   */
  async queueStats(device: Device): Promise<DeviceQueueStats> {
    // The jobs table is the jobs module's: read in SQL rather than through its entity.
    const [row] = await this.em
      .getConnection()
      .execute<{ queue_length: string; n: string; average: number | null; p50: number | null; p95: number | null }[]>(
        `select (select count(*) from "job" where "executed_on_id" = ? and "state" = 'READY') as queue_length,
              count(w) as n, avg(w)::float as average,
              percentile_cont(0.5) within group (order by w) as p50,
              percentile_cont(0.95) within group (order by w) as p95
         from (select extract(epoch from "started_at" - "created_at")::float as w from "job"
                where "executed_on_id" = ? and "started_at" > now() - interval '24 hours') waits`,
        [device.id, device.id],
      );
    const round = (x: number | null) => (x === null ? null : Math.round(Number(x) * 1000) / 1000);
    const cached = this.statusCache.get(device.id);
    return {
      queueLength: Number(row.queue_length),
      waitTimeSeconds:
        Number(row.n) === 0 ? null : { average: round(row.average)!, p50: round(row.p50)!, p95: round(row.p95)! },
      providerQueueLength: cached && cached.until > Date.now() ? cached.status.queueLength : null,
    };
  }

  // ---- remote providers: sync, live status, calibration ----

  /**
   * Asks a remote provider for its devices (with `token`, or the server's credentials) and upserts
   * them: name, qubits, simulator or not, online or offline, the provider's id. Devices it no longer
   * lists are set offline (their jobs are kept). One transaction; device.status events for changes.
   */
  async sync(providerId: string, token: string | null): Promise<SyncOutcome> {
    const provider = await this.getProvider(providerId);
    if (!this.catalog.isRemote(provider.name)) {
      throw new Unprocessable(
        `provider ${provider.name} has no remote devices to sync: its devices run on this service's engine`,
        { field: 'id' },
      );
    }
    const listed = await this.catalog.listRemoteDevices(provider.name, token);
    return this.em.fork().transactional(async (em) => {
      const current = await em.find(Device, { provider: provider.id }, { populate: ['provider'] });
      const outcome: SyncOutcome = { added: [], updated: [], offline: [], skipped: [] };
      const seen = new Set<string>();
      for (const d of listed) {
        const status = d.online ? 'online' : 'offline';
        const existing = current.find((x) => x.name === d.name);
        if (existing?.isLocal) {
          outcome.skipped.push(d.name); // a local device of ours has that name: keep ours
          continue;
        }
        seen.add(d.name);
        if (!existing) {
          em.create(Device, {
            name: d.name,
            numQubits: d.numQubits,
            isSimulator: d.isSimulator,
            isLocal: false,
            providerDeviceId: d.providerDeviceId,
            status,
            provider: em.getReference(Provider, provider.id),
          });
          outcome.added.push(d.name);
          continue;
        }
        const before = JSON.stringify([
          existing.numQubits,
          existing.isSimulator,
          existing.providerDeviceId,
          existing.status,
        ]);
        existing.numQubits = d.numQubits;
        existing.isSimulator = d.isSimulator;
        existing.providerDeviceId = d.providerDeviceId;
        existing.status = status;
        if (JSON.stringify([d.numQubits, d.isSimulator, d.providerDeviceId, status]) !== before) {
          outcome.updated.push(d.name);
        }
      }
      for (const device of current) {
        if (device.isLocal || seen.has(device.name) || device.status === 'offline') continue;
        device.status = 'offline';
        outcome.offline.push(device.name);
      }
      return outcome;
    });
  }

  /**
   * The live status of a device: a remote one's from its provider (kept DEVICE_STATUS_CACHE_SECONDS;
   * a change of online/offline is stored, with its device.status event); a local one's from here, its
   * queue the jobs waiting for it.
   */
  async liveStatus(id: string): Promise<DeviceLiveStatus> {
    const device = await this.getDevice(id);
    const checkedAt = new Date().toISOString();
    if (device.isLocal || !this.catalog.isRemote(device.provider.name)) {
      // The jobs table is the jobs module's: counted in SQL rather than through its entity.
      const [{ n }] = await this.em
        .getConnection()
        .execute<{ n: string }[]>(`select count(*) as n from "job" where "executed_on_id" = ? and "state" = 'READY'`, [
          device.id,
        ]);
      const queueLength = Number(n);
      return {
        deviceId: device.id,
        source: 'local',
        online: device.status === 'online',
        queueLength,
        message: null,
        checkedAt,
        provider: null,
      };
    }
    const cached = this.statusCache.get(device.id);
    let status: LiveDeviceStatus;
    if (cached && cached.until > Date.now()) status = cached.status;
    else {
      status = await this.catalog.remoteStatus(remoteRef(device));
      this.statusCache.set(device.id, { until: Date.now() + this.config.providers.statusCacheSeconds * 1000, status });
      const stored = status.online ? 'online' : 'offline';
      if (device.status !== stored) {
        const em = this.em.fork();
        const fresh = await em.findOne(Device, device.id);
        if (fresh && fresh.status !== stored) {
          fresh.status = stored;
          await em.flush();
        }
      }
    }
    return {
      deviceId: device.id,
      source: 'provider',
      online: status.online,
      queueLength: status.queueLength,
      message: status.message,
      checkedAt,
      provider: status.raw,
    };
  }

  /** The provider's calibration (properties) data of a remote device; a local device is ideal: none. */
  async calibration(id: string): Promise<DeviceCalibration> {
    const device = await this.getDevice(id);
    if (device.isLocal && device.noiseModel) {
      return {
        deviceId: device.id,
        source: 'local',
        calibration: { noiseModel: device.noiseModel },
        message: 'a noisy simulator of this service: its calibration is its noise model, known exactly (docs/noise.md)',
        fetchedAt: new Date().toISOString(),
      };
    }
    if (device.isLocal || !this.catalog.isRemote(device.provider.name)) {
      return {
        deviceId: device.id,
        source: 'local',
        calibration: null,
        message: 'an ideal statevector simulator of this service: no noise, so no calibration data',
        fetchedAt: new Date().toISOString(),
      };
    }
    const calibration = await this.catalog.remoteCalibration(remoteRef(device));
    return { deviceId: device.id, source: 'provider', calibration, message: null, fetchedAt: new Date().toISOString() };
  }
}

function remoteRef(device: Device): RemoteDeviceRef {
  return {
    providerName: device.provider.name,
    name: device.name,
    providerDeviceId: device.providerDeviceId ?? device.name,
    numQubits: device.numQubits,
  };
}

export interface DeviceQueueStats {
  queueLength: number;
  waitTimeSeconds: { average: number; p50: number; p95: number } | null;
  providerQueueLength: number | null;
}

/** What a sync did, by device name. */
export interface SyncOutcome {
  added: string[];
  updated: string[];
  /** Devices the provider no longer lists (or lists as offline), set offline. */
  offline: string[];
  /** Listed names that a local device of ours already has. */
  skipped: string[];
}

export interface DeviceLiveStatus {
  deviceId: string;
  /** Where the status comes from: this service (local devices) or the provider. */
  source: 'local' | 'provider';
  online: boolean;
  /** Jobs waiting for the device: at the provider, or READY here for a local one; null when the provider does not tell. */
  queueLength: number | null;
  message: string | null;
  checkedAt: string;
  /** The provider's own answer; null for local devices. */
  provider: Record<string, unknown> | null;
}

export interface DeviceCalibration {
  deviceId: string;
  source: 'local' | 'provider';
  calibration: Record<string, unknown> | null;
  message: string | null;
  fetchedAt: string;
}
