import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import {
  ForeignKeyConstraintViolationException,
  NotFoundError,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { Response } from 'express';
import { isDatabaseUnavailable } from './database-errors';

/** What a 503 (database unreachable) tells the client to wait before trying again. */
const RETRY_AFTER_SECONDS = 2;

interface Body {
  statusCode: number;
  error: string;
  message: string;
  [key: string]: unknown;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every error answers {statusCode, error, message} (plus details such as `errors` or `line`).
 * Client mistakes that reach us from below Nest (body-parser, the ORM) get their 4xx; a database that
 * cannot be reached is a 503 with Retry-After; only a bug is a 500.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (res.headersSent) return;
    if (body.statusCode === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown): Body {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'string')
        return { statusCode: status, error: REASONS[status] ?? 'Error', message: response };
      const r = response as Record<string, unknown>;
      const message = Array.isArray(r.message) ? r.message.join('; ') : String(r.message ?? exception.message);
      return { ...r, statusCode: status, error: String(r.error ?? REASONS[status] ?? 'Error'), message };
    }
    if (exception instanceof OptimisticLockError) {
      return {
        statusCode: 409,
        error: 'Conflict',
        message: 'the row was changed by someone else meanwhile; try again',
      };
    }
    if (exception instanceof UniqueConstraintViolationException) {
      return { statusCode: 409, error: 'Conflict', message: 'a row with these values exists already' };
    }
    if (exception instanceof ForeignKeyConstraintViolationException) {
      return { statusCode: 409, error: 'Conflict', message: 'a row this refers to no longer exists' };
    }
    if (exception instanceof NotFoundError) {
      return { statusCode: 404, error: 'Not Found', message: exception.message };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'the database cannot be reached right now; try again shortly',
      };
    }
    // body-parser and other connect-style errors carry their status and a type.
    const e = exception as { status?: number; statusCode?: number; type?: string; message?: string; limit?: number };
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      let message = e.message ?? 'bad request';
      if (e.type === 'entity.parse.failed') message = `request body is not valid JSON: ${e.message}`;
      if (e.type === 'entity.too.large') message = `request body is larger than the limit of ${e.limit} bytes`;
      return { statusCode: status, error: REASONS[status] ?? 'Error', message };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'internal server error',
    };
  }
}
