import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** A 404 that names what was not found; used as well for rows the caller may not see, so ids do not leak. */
export class NotFound extends HttpException {
  constructor(what: string, id: string) {
    super({ statusCode: 404, error: 'Not Found', message: `${what} ${id} not found` }, HttpStatus.NOT_FOUND);
  }
}

export class Conflict extends HttpException {
  constructor(message: string) {
    super({ statusCode: 409, error: 'Conflict', message }, HttpStatus.CONFLICT);
  }
}

/** 422: well-formed input that cannot be processed; `details` says where (a field, a program, a line). */
export class Unprocessable extends HttpException {
  constructor(message: string, details?: Record<string, unknown>) {
    super({ statusCode: 422, error: 'Unprocessable Entity', message, ...details }, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}

/** 503: a provider this request needs could not be reached, or asked us to wait; try again later. */
export class ProviderUnavailable extends HttpException {
  constructor(message: string, retryAfterSeconds: number | null = null) {
    super(
      {
        statusCode: 503,
        error: 'Service Unavailable',
        message,
        ...(retryAfterSeconds !== null && { retryAfterSeconds }),
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/** 502: a provider answered this request with an error of its own (its words in the message). */
export class ProviderError extends HttpException {
  constructor(message: string) {
    super({ statusCode: 502, error: 'Bad Gateway', message }, HttpStatus.BAD_GATEWAY);
  }
}
