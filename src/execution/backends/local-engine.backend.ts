import type { ProviderDescription } from '../../devices/provider-catalog';
import { runPrograms, type RunLimits, type RunProgram } from './program-runner';
import type { BackendRun, LocalBackend, ProgramResults, RunControl } from './quantum-backend';

/**
 * A provider whose devices run on our own statevector engine, in this process's engine threads:
 * the LOCAL provider today, and qunicorn-core's local devices of other providers (the providers
 * issue registers them with their own names, languages and widths). Each program is parsed and
 * simulated in an engine thread, one after the other, so this thread never holds a circuit; the
 * job's cost is bounded by `limits` (operations a program and a job, parse time, thread heap).
 */
export class LocalEngineBackend implements LocalBackend {
  readonly kind = 'local';

  constructor(
    private readonly provider: ProviderDescription,
    private readonly runProgram: RunProgram,
    private readonly limits: RunLimits,
  ) {}

  describe(): ProviderDescription {
    return this.provider;
  }

  run(run: BackendRun, control: RunControl): Promise<ProgramResults[]> {
    return runPrograms(this.runProgram, run.programs, run.settings, run.device, this.limits, {
      signal: control.signal,
      onProgress: control.onProgress,
    });
  }
}
