import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ProviderCatalog } from '../../devices/provider-catalog';
import { presortedChunking } from '../../jobs/result-data';
import { BackendRegistry, QUANTUM_BACKENDS } from './backend-registry';
import { LocalEngineBackend } from './local-engine.backend';
import { BraketBackend } from './braket/braket.backend';
import { IbmQuantumBackend } from './ibm/ibm-quantum.backend';
import { IonqBackend } from './ionq/ionq.backend';
import { QmwareBackend } from './qmware/qmware.backend';
import { localProviders } from './local-providers';
import type { QuantumBackend, RemoteBackendDeps } from './quantum-backend';
import { SimulatorPoolService } from './simulator-pool.service';
import { RemoteJobControl } from '../../jobs/remote-job-control';
import { RemoteJobControlService } from './remote/remote-job-control.service';

export { LOCAL_PROVIDER, LOCAL_SIMULATOR } from './local-providers';

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
        const limits = {
          maxOperations: config.maxCircuitOperations,
          maxJobOperations: config.maxJobOperations,
          parseTimeoutMs: config.parseTimeoutSeconds * 1000,
          threadHeapMb: config.engineThreadHeapMb,
          // large distributions sorted and chunked in the engine's thread, as jobs store them
          resultChunking: presortedChunking({
            inlineEntries: config.resultInlineEntries,
            maxEntries: config.maxResultEntries,
          }),
        };
        // LOCAL and qunicorn-core's local devices of IBM, AWS and RIGETTI: all on our engine.
        const local = localProviders(config.localDeviceQubits).map(
          (provider) => new LocalEngineBackend(provider, runProgram, limits),
        );
        // The clouds: their programs translated in the engine's threads, never in this one.
        const remote: RemoteBackendDeps = {
          translate: (req) => pool.translate(req, config.parseTimeoutSeconds * 1000),
          maxOperations: config.maxCircuitOperations,
          requestTimeoutMs: config.providers.requestTimeoutSeconds * 1000,
        };
        return [
          ...local,
          new IbmQuantumBackend(config.providers.ibm, remote),
          new BraketBackend(config.providers.aws, remote),
          new IonqBackend(config.providers.ionq, remote),
          new QmwareBackend(config.providers.qmware, remote),
        ];
      },
    },
    BackendRegistry,
    { provide: ProviderCatalog, useExisting: BackendRegistry },
    { provide: RemoteJobControl, useClass: RemoteJobControlService },
  ],
  exports: [BackendRegistry, ProviderCatalog, RemoteJobControl],
})
export class BackendsModule {}
