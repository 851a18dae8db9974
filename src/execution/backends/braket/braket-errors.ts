import { CredentialsMissing, CredentialsRefused, RemoteUnavailable, retryAfterMs } from '../remote/remote-errors';

/**
 * What the AWS SDK throws, told in the terms of remote-errors.ts. The SDK's service exceptions carry
 * the error code as `name` (from the `x-amzn-errortype` header or the body's `__type`), the HTTP
 * status in `$metadata.httpStatusCode`, `$fault` ('client' | 'server'), and the raw response as the
 * hidden `$response` (for Retry-After). Network failures are plain errors with a `code`.
 */

/** A Braket or S3 error that is neither transient nor about credentials: the job fails with its words. */
export class BraketServiceError extends Error {
  override readonly name = 'BraketServiceError';
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const REFUSED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AccessDenied',
  'InvalidToken',
  'TokenRefreshRequired',
]);

const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ServiceQuotaExceededException',
  'InternalServiceException',
  'InternalServerException',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'DeviceOfflineException',
]);

const TIMEOUTS = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

interface AwsErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
  cause?: unknown;
}

/** The AWS SDK's error (or a network failure) as RemoteUnavailable, Credentials* or BraketServiceError. */
export function mapAwsError(err: unknown, service: 'Amazon Braket' | 'Amazon S3'): Error {
  if (
    err instanceof RemoteUnavailable ||
    err instanceof CredentialsRefused ||
    err instanceof CredentialsMissing ||
    err instanceof BraketServiceError
  ) {
    return err;
  }
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(err)).split('\n')[0];
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode ?? null;
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new CredentialsMissing(
      `no AWS credentials to call ${service} with: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (the standard AWS credential chain; ${message})`,
      'AWS_ACCESS_KEY_ID',
    );
  }
  if (REFUSED.has(name) || status === 401 || (status === 403 && !TRANSIENT.has(name))) {
    return new CredentialsRefused(`the credentials were refused by AWS (${name}: ${message})`, 'AWS', status);
  }
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
  if (status === null) {
    // No answer at all: a time-out (our abort signal, the handler's socket timeout) or the network.
    if (TIMEOUTS.has(name) || /timed? ?out/i.test(message)) {
      return new RemoteUnavailable(`${service} did not answer in time (${code ?? name}: ${message})`, null, err);
    }
    if ((code !== undefined && NETWORK_CODES.has(code)) || /socket hang up|ECONN|network|fetch failed/i.test(message)) {
      return new RemoteUnavailable(`${service} could not be reached (${code ?? name}: ${message})`, null, err);
    }
  }
  const headers = e.$response?.headers ?? {};
  const retryAfter = retryAfterMs(headers['retry-after'] ?? headers['Retry-After']);
  if (TRANSIENT.has(name) || status === 429 || (status !== null && status >= 500) || e.$fault === 'server') {
    return new RemoteUnavailable(`${service} answered ${status ?? 'with'} ${name}: ${message}`, retryAfter, err);
  }
  if (status !== null)
    return new BraketServiceError(`${service} refused the request (${name}: ${message})`, name, status);
  return new BraketServiceError(`${service} failed: ${message}`, name, null);
}
