import { Injectable } from '@nestjs/common';
import { ProviderTokens } from '../../../auth/provider-tokens';
import type { ErrorMitigation, JobType } from '../../../jobs/job.enums';
import { RemoteJobControl, type RemoteCancelOutcome, type StoredRemoteHandle } from '../../../jobs/remote-job-control';
import { asHttpError, BackendRegistry } from '../backend-registry';

/** Jobs' RemoteJobControl port, from the registered remote backends (see BackendsModule). */
@Injectable()
export class RemoteJobControlService extends RemoteJobControl {
  constructor(
    private readonly registry: BackendRegistry,
    private readonly tokens: ProviderTokens,
  ) {
    super();
  }

  admissionProblem(
    providerName: string,
    job: {
      hasToken: boolean;
      type: JobType;
      shots: number;
      errorMitigation: ErrorMitigation;
      seed: number | null;
      providerDeviceId: string;
    },
  ): { field: string; message: string } | null {
    const backend = this.registry.remote(providerName);
    if (!backend) {
      return {
        field: 'deviceId',
        message: `provider ${providerName} has no adapter in this service for its remote devices, so none of them can run jobs here`,
      };
    }
    const applied = backend.errorMitigations ?? [];
    if (job.errorMitigation !== 'none' && !applied.includes(job.errorMitigation)) {
      return {
        field: 'errorMitigation',
        message: `${providerName} does not apply errorMitigation ${job.errorMitigation} (${applied.length > 0 ? `it applies ${applied.join(', ')}` : 'it applies none'}); send 'none' or choose another device`,
      };
    }
    if (job.seed !== null && !(backend.takesSeed?.(job.providerDeviceId) ?? false)) {
      return {
        field: 'seed',
        message: `${providerName}'s ${job.providerDeviceId} cannot make its sampling reproducible with a seed; leave seed out`,
      };
    }
    return backend.admissionProblem(job);
  }

  async cancel(jobId: string, handle: StoredRemoteHandle, sealedToken: unknown): Promise<RemoteCancelOutcome> {
    const backend = this.registry.remote(handle.type);
    if (!backend) return { canceled: false, reason: `no adapter for provider ${handle.type} is registered here` };
    const token = this.tokens.open(jobId, sealedToken);
    return asHttpError(handle.type, () => backend.cancel(handle, { token }));
  }
}
