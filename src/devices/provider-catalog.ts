/** A device a provider has without anyone asking a cloud: seeded at start. */
export interface DeviceDescription {
  name: string;
  numQubits: number;
  isSimulator: boolean;
  /** Runs on this service's own engine (no cloud involved). */
  isLocal: boolean;
  /** A remote device's id at its provider (a Braket device ARN, an IBM backend name). */
  providerDeviceId?: string;
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

/**
 * What the devices module needs of the backends: which providers exist and their seeded devices.
 * The execution module implements it from its registry of backends (see BackendRegistry), so that
 * adding a backend adds its provider and devices without touching this module.
 */
export abstract class ProviderCatalog {
  abstract providers(): readonly ProviderDescription[];
}
