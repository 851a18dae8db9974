import { ConnectionException, DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { isDatabaseUnavailable } from './database-errors';
import { HttpExceptionFilter } from './http-exception.filter';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a terminated backend (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a server starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a connection exception (class 08)', pgError('08006', 'connection failure')],
    ['a refused connection', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a client that lost its connection', new Error('Client has encountered a connection error and is not queryable')],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
    ['the ORM wrapping a terminated backend', new DriverException(pgError('57P01', 'terminating connection'))],
    ['the ORM connection exception', new ConnectionException(new Error('Connection terminated'))],
    ['an error caused by one', new Error('commit failed', { cause: pgError('57P01', 'x') })],
  ])('is true for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', new UniqueConstraintViolationException(pgError('23505', 'duplicate key value'))],
    ['a syntax error', pgError('42601', 'syntax error at or near "x"')],
    ['a program failure', new Error('program 0 does not parse: unknown gate foo (line 3, column 1)')],
    ['no error', undefined],
    ['a string', 'Connection terminated'],
  ])('is false for %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('makes the API answer 503 (the filter), where other driver errors stay 500', () => {
    const filter = new HttpExceptionFilter();
    expect(filter.toBody(new DriverException(pgError('57P01', 'terminating connection')))).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
    });
    expect(filter.toBody(new DriverException(pgError('XX000', 'internal error'))).statusCode).toBe(500);
  });
});
