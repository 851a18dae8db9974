import type { ErrorMitigation, JobType } from './job.enums';

/** Where a job at a remote provider is kept in its transient state: `{type, providerIds, data}`, as qunicorn-core keeps it. */
export const REMOTE_HANDLE_KEY = 'remote';

/** What a provider was given for a job, as stored in its transient state (under REMOTE_HANDLE_KEY). */
export interface StoredRemoteHandle {
  /** The provider's name. */
  type: string;
  /** The provider's ids of the job (one a program for Braket). */
  providerIds: string[];
  /** What the backend needs later to read the results. */
  data?: Record<string, unknown>;
}

/** The answer of a provider to a cancel: accepted, or refused with its reason (a 409). */
export type RemoteCancelOutcome = { canceled: true } | { canceled: false; reason: string };

/**
 * What jobs need of the remote backends, as a port (the execution module implements it, the way the
 * devices module's ProviderCatalog is): whether a provider takes a job, and cancelling a job there.
 */
export abstract class RemoteJobControl {
  /**
   * Why a job on a remote device of `providerName` cannot be accepted (the 422's message and field),
   * or null. Answers from configuration: no call to the provider.
   */
  abstract admissionProblem(
    providerName: string,
    job: {
      hasToken: boolean;
      type: JobType;
      shots: number;
      errorMitigation: ErrorMitigation;
      seed: number | null;
      providerDeviceId: string;
    },
  ): { field: string; message: string } | null;

  /**
   * Cancels a job at its provider, with the job's own token (sealed, as stored) or the server's
   * credentials. Throws HTTP errors (common/errors.ts) when the provider cannot be asked: 503 out of
   * reach, 422 credentials refused, 502 its own error.
   */
  abstract cancel(jobId: string, handle: StoredRemoteHandle, sealedToken: unknown): Promise<RemoteCancelOutcome>;
}
