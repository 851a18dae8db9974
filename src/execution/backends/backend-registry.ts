import { Inject, Injectable } from '@nestjs/common';
import { ProviderError, ProviderUnavailable, Unprocessable } from '../../common/errors';
import {
  ProviderCatalog,
  type LiveDeviceStatus,
  type ProviderDescription,
  type RemoteDeviceRef,
  type SyncedDevice,
} from '../../devices/provider-catalog';
import type { TargetDevice } from '../../jobs/job-run';
import type { LocalBackend, QuantumBackend, RemoteBackend } from './quantum-backend';
import { CredentialsMissing, CredentialsRefused, RemoteUnavailable } from './remote/remote-errors';

/** The backends of this service: see BackendsModule, where they are registered. */
export const QUANTUM_BACKENDS = Symbol('QUANTUM_BACKENDS');

interface ProviderBackends {
  local?: LocalBackend;
  remote?: RemoteBackend;
}

/**
 * Finds the backend of a device: a provider has at most one local backend (its devices on our
 * engine, such as IBM/aer_simulator) and one remote backend (its devices at the provider, such as
 * IBM's QPUs); a device's `isLocal` tells which. It is also the devices module's ProviderCatalog:
 * the providers and devices seeded at start are the ones the registered backends describe, and a
 * provider's remote backend answers its sync, live status and calibration.
 */
@Injectable()
export class BackendRegistry extends ProviderCatalog {
  private readonly byProvider = new Map<string, ProviderBackends>();
  private readonly described: ProviderDescription[];

  constructor(@Inject(QUANTUM_BACKENDS) backends: readonly QuantumBackend[]) {
    super();
    for (const backend of backends) {
      const name = backend.describe().name;
      const entry = this.byProvider.get(name) ?? {};
      if (entry[backend.kind]) throw new Error(`two ${backend.kind} backends are registered for provider ${name}`);
      if (backend.kind === 'local') entry.local = backend;
      else entry.remote = backend;
      this.byProvider.set(name, entry);
    }
    this.described = [...this.byProvider.entries()].map(([name, { local, remote }]) => merge(name, local, remote));
  }

  /** The backend that executes jobs on `device`, or undefined when none is registered for it. */
  forDevice(device: Pick<TargetDevice, 'providerName' | 'isLocal'>): QuantumBackend | undefined {
    const entry = this.byProvider.get(device.providerName);
    return device.isLocal ? entry?.local : entry?.remote;
  }

  /** The remote backend of a provider, or undefined. */
  remote(providerName: string): RemoteBackend | undefined {
    return this.byProvider.get(providerName)?.remote;
  }

  providers(): readonly ProviderDescription[] {
    return this.described;
  }

  isRemote(providerName: string): boolean {
    return this.remote(providerName) !== undefined;
  }

  async listRemoteDevices(providerName: string, token: string | null): Promise<SyncedDevice[]> {
    const backend = this.requireRemote(providerName);
    return asHttpError(providerName, () => backend.listDevices({ token }));
  }

  async remoteStatus(device: RemoteDeviceRef): Promise<LiveDeviceStatus> {
    const backend = this.requireRemote(device.providerName);
    return asHttpError(device.providerName, () => backend.deviceStatus(device, { token: null }));
  }

  async remoteCalibration(device: RemoteDeviceRef): Promise<Record<string, unknown>> {
    const backend = this.requireRemote(device.providerName);
    return asHttpError(device.providerName, () => backend.calibration(device, { token: null }));
  }

  private requireRemote(providerName: string): RemoteBackend {
    const backend = this.remote(providerName);
    if (!backend) {
      throw new Unprocessable(
        `provider ${providerName} has no remote devices: its devices run on this service's engine`,
        {
          field: 'providerId',
        },
      );
    }
    return backend;
  }
}

/** One provider's description from its local and remote backends: their devices together. */
function merge(name: string, local?: LocalBackend, remote?: RemoteBackend): ProviderDescription {
  const a = local?.describe();
  const b = remote?.describe();
  const languages = [...new Set([...(a?.languages ?? []), ...(b?.languages ?? [])])];
  return {
    name,
    withToken: Boolean(a?.withToken || b?.withToken),
    languages,
    devices: [...(a?.devices ?? []), ...(b?.devices ?? [])],
  };
}

/**
 * A call to a provider for an HTTP request (sync, status, calibration), its failures told as HTTP
 * errors: credentials missing or refused 422 (naming the field or setting), the provider out of reach
 * 503, its own error 502 with its words.
 */
export async function asHttpError<T>(providerName: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof CredentialsMissing) throw new Unprocessable(err.message, { field: err.field });
    if (err instanceof CredentialsRefused) throw new Unprocessable(err.message, { field: 'token' });
    if (err instanceof RemoteUnavailable) {
      throw new ProviderUnavailable(err.message, err.retryAfterMs === null ? null : Math.ceil(err.retryAfterMs / 1000));
    }
    throw new ProviderError(`${providerName}: ${(err as Error)?.message ?? String(err)}`);
  }
}
