import type { ProviderDescription } from '../../devices/provider-catalog';
import { preparePrograms, runPrograms, type Simulate } from './program-runner';
import type { BackendRun, LocalBackend, ProgramResults, RunControl } from './quantum-backend';

/**
 * A provider whose devices run on our own statevector engine, in this process's simulator threads:
 * the LOCAL provider today, and qunicorn-core's local devices of other providers (the providers
 * issue registers them with their own names, languages and widths).
 */
export class LocalEngineBackend implements LocalBackend {
  readonly kind = 'local';

  constructor(
    private readonly provider: ProviderDescription,
    private readonly simulate: Simulate,
    private readonly maxOperations?: number,
  ) {}

  describe(): ProviderDescription {
    return this.provider;
  }

  async run(run: BackendRun, control: RunControl): Promise<ProgramResults[]> {
    const circuits = preparePrograms(run.programs, run.device, this.maxOperations);
    return runPrograms(this.simulate, run.programs, circuits, run.settings, run.device, {
      signal: control.signal,
      onProgress: control.onProgress,
    });
  }
}
