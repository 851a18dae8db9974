import type { NoiseModel } from '../quantum';

/** A device a provider has without anyone asking a cloud: seeded at start. */
export interface DeviceDescription {
  name: string;
  numQubits: number;
  isSimulator: boolean;
  /** Runs on this service's own engine (no cloud involved). */
  isLocal: boolean;
  /** A remote device's id at its provider (a Braket device ARN, an IBM backend name). */
  providerDeviceId?: string;
  /** A noisy simulated device's model, seeded when the device is created (admins may change it later). */
  noiseModel?: NoiseModel;
}

/** A provider as its backend describes it. */
export interface ProviderDescription {
  name: string;
  /** Jobs may (or must, without server-wide credentials) bring a token for it. */
  withToken: boolean;
  /** Languages its devices accept (translated by the backend where needed). */
  languages: readonly string[];
  devices: readonly DeviceDescription[];
}

/** A device as its provider lists it now (sync). */
export interface SyncedDevice {
  name: string;
  providerDeviceId: string;
  numQubits: number;
  isSimulator: boolean;
  online: boolean;
}

/** A remote device as the catalog is asked about it. */
export interface RemoteDeviceRef {
  providerName: string;
  name: string;
  providerDeviceId: string;
  numQubits: number;
}

/** The live status of a device at its provider. */
export interface LiveDeviceStatus {
  online: boolean;
  queueLength: number | null;
  message: string | null;
  raw: Record<string, unknown>;
}

/**
 * What the devices module needs of the backends: which providers exist and their seeded devices, and
 * for providers with remote devices their lists, status and calibration (asked of the provider).
 * The execution module implements it from its registry of backends (see BackendRegistry), so that
 * adding a backend adds its provider and devices without touching this module. The remote calls throw
 * HTTP errors (common/errors.ts) that name the problem: 422 for credentials missing or refused (field
 * `token` or the setting), 503 for a provider out of reach, 502 for a provider's own error.
 */
export abstract class ProviderCatalog {
  abstract providers(): readonly ProviderDescription[];
  /** Whether the provider has a remote backend (sync, live status and calibration). */
  abstract isRemote(providerName: string): boolean;
  abstract listRemoteDevices(providerName: string, token: string | null): Promise<SyncedDevice[]>;
  abstract remoteStatus(device: RemoteDeviceRef): Promise<LiveDeviceStatus>;
  abstract remoteCalibration(device: RemoteDeviceRef): Promise<Record<string, unknown>>;
}
