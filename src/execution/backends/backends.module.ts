import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ProviderCatalog } from '../../devices/provider-catalog';
import { presortedChunking } from '../../jobs/result-data';
import { ENGINE_LANGUAGES } from '../../quantum';
import { BackendRegistry, QUANTUM_BACKENDS } from './backend-registry';
import { LocalEngineBackend } from './local-engine.backend';
import type { QuantumBackend } from './quantum-backend';
import { SimulatorPoolService } from './simulator-pool.service';

export const LOCAL_PROVIDER = 'LOCAL';
export const LOCAL_SIMULATOR = 'statevector-simulator';

/**
 * The registered backends, one a provider. To add one, implement QuantumBackend and add it to the
 * list made here: its provider and devices are seeded at start, and jobs on its devices reach it.
 * Global, because the devices module seeds from it (as ProviderCatalog) in every process, workers or not.
 */
@Global()
@Module({
  providers: [
    SimulatorPoolService,
    {
      provide: QUANTUM_BACKENDS,
      inject: [APP_CONFIG, SimulatorPoolService],
      useFactory: (config: AppConfig, pool: SimulatorPoolService): QuantumBackend[] => {
        const runProgram = pool.runProgram.bind(pool);
        return [
          new LocalEngineBackend(
            {
              name: LOCAL_PROVIDER,
              withToken: false,
              languages: ENGINE_LANGUAGES,
              devices: [
                { name: LOCAL_SIMULATOR, numQubits: config.localDeviceQubits, isSimulator: true, isLocal: true },
              ],
            },
            runProgram,
            {
              maxOperations: config.maxCircuitOperations,
              maxJobOperations: config.maxJobOperations,
              parseTimeoutMs: config.parseTimeoutSeconds * 1000,
              threadHeapMb: config.engineThreadHeapMb,
              // large distributions sorted and chunked in the engine's thread, as jobs store them
              resultChunking: presortedChunking({
                inlineEntries: config.resultInlineEntries,
                maxEntries: config.maxResultEntries,
              }),
            },
          ),
        ];
      },
    },
    BackendRegistry,
    { provide: ProviderCatalog, useExisting: BackendRegistry },
  ],
  exports: [BackendRegistry, ProviderCatalog],
})
export class BackendsModule {}
