import { HttpException, HttpStatus, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';

/** Characters RFC 6750 allows in a quoted auth-param (no quote, no backslash, printable ASCII). */
function quoted(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, "'");
}

/**
 * A 401 that carries its RFC 6750 challenge: the HTTP guard sends it as `WWW-Authenticate`.
 * The body is the standard {statusCode, error, message}. Sockets see an UnauthorizedException.
 */
export class BearerChallenge extends UnauthorizedException {
  constructor(
    message: string,
    /** The value of the WWW-Authenticate header. */
    readonly challenge: string,
  ) {
    super({ statusCode: 401, error: 'Unauthorized', message });
  }

  /** A token was sent and is not valid (expired, bad signature, wrong audience, malformed, ...). */
  static invalidToken(reason: string): BearerChallenge {
    return new BearerChallenge(
      `invalid token: ${reason}`,
      `Bearer realm="qunest", error="invalid_token", error_description="${quoted(reason)}"`,
    );
  }

  /** The Authorization header is not of the form "Bearer <token>". */
  static invalidRequest(reason: string): BearerChallenge {
    return new BearerChallenge(
      reason,
      `Bearer realm="qunest", error="invalid_request", error_description="${quoted(reason)}"`,
    );
  }

  /** No credentials at all where they are required: RFC 6750 §3.1 says no error code then. */
  static missing(): BearerChallenge {
    return new BearerChallenge('a bearer token is required', 'Bearer realm="qunest"');
  }
}

/** 503: the JWKS could not be fetched, so no token can be checked right now (not the client's fault). */
export class KeySetUnavailable extends ServiceUnavailableException {
  constructor(reason: string) {
    super({
      statusCode: 503,
      error: 'Service Unavailable',
      message: `cannot check tokens now: the key set at AUTH_JWKS_URL is unavailable (${reason})`,
    });
  }
}

/** 429 with the seconds to wait; the HTTP guard sends them as `Retry-After`. */
export class TooManySubmissions extends HttpException {
  constructor(
    limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `at most ${limit} jobs may be submitted a minute; try again in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
