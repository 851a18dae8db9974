/**
 * How a provider's answer is told to the lifecycle (execution/remote): every adapter throws these,
 * whatever its transport (plain fetch, an SDK). Anything else an adapter throws is a permanent
 * failure of the job, its message the job's ERROR message (so it must be the provider's words, never
 * a stack trace).
 */

/** The provider could not be reached or asked us to wait (network, 5xx, 429): tried again later. */
export class RemoteUnavailable extends Error {
  override readonly name = 'RemoteUnavailable';
  constructor(
    message: string,
    /** How long the provider asked us to wait (Retry-After), in ms; null when it did not say. */
    readonly retryAfterMs: number | null = null,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The provider refused the credentials (401/403): e.g. "the token was refused by IBM". Not retried. */
export class CredentialsRefused extends Error {
  override readonly name = 'CredentialsRefused';
  constructor(
    message: string,
    readonly provider: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

/** No credentials to call the provider with: neither a job token nor server-wide ones. */
export class CredentialsMissing extends Error {
  override readonly name = 'CredentialsMissing';
  constructor(
    message: string,
    /** The job field or setting that would provide them (`token`, `IBM_QUANTUM_TOKEN`, ...). */
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * The seconds or HTTP date of a Retry-After header, in ms from `now`; null when absent or unreadable.
 * Bounded to a day, so that a provider's odd answer cannot park a job for ever.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | null {
  if (header === null || header === undefined || header.trim() === '') return null;
  const value = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), 24 * 3600 * 1000);
}
