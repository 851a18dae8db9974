import { Inject, Injectable } from '@nestjs/common';
import { ProviderCatalog, type ProviderDescription } from '../../devices/provider-catalog';
import type { QuantumBackend } from './quantum-backend';

/** The backends of this service, one a provider: see BackendsModule, where they are registered. */
export const QUANTUM_BACKENDS = Symbol('QUANTUM_BACKENDS');

/**
 * Finds the backend of a provider by its name. It is also the devices module's ProviderCatalog: the
 * providers and devices seeded at start are the ones the registered backends describe.
 */
@Injectable()
export class BackendRegistry extends ProviderCatalog {
  private readonly byProvider = new Map<string, QuantumBackend>();

  constructor(@Inject(QUANTUM_BACKENDS) backends: readonly QuantumBackend[]) {
    super();
    for (const backend of backends) {
      const name = backend.describe().name;
      if (this.byProvider.has(name)) throw new Error(`two backends are registered for provider ${name}`);
      this.byProvider.set(name, backend);
    }
  }

  /** The backend of the provider called `providerName`, or undefined when none is registered. */
  forProvider(providerName: string): QuantumBackend | undefined {
    return this.byProvider.get(providerName);
  }

  providers(): readonly ProviderDescription[] {
    return [...this.byProvider.values()].map((b) => b.describe());
  }
}
