import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { applyDecorators, BadRequestException } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { Unprocessable } from './errors';

/**
 * Idempotent creation (`Idempotency-Key`, docs/decisions/0007-job-api.md). A request that brings a
 * key claims (owner, endpoint, key) with an INSERT that is the first statement of the transaction
 * creating the row; the primary key makes racing requests wait for the first one, and when it
 * commits they find its row and answer what it created. A failed request rolls its claim back.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** How long a key holds: afterwards it is free again, and the periodic cleanup deletes it. */
export const IDEMPOTENCY_KEY_HOURS = 24;

/** 1 to 255 visible ASCII characters (RFC 9110's VCHAR: no spaces, no control characters). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The OpenAPI description of the header, for the creating endpoints. */
export const ApiIdempotencyKey = () =>
  applyDecorators(
    ApiHeader({
      name: IDEMPOTENCY_HEADER,
      required: false,
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
      description:
        'Makes the request safe to retry: within 24 h a request of the same caller (JWT sub; anonymous callers share one key space) with the same key and the same body answers 201 with what the first one created, as a GET would show it now, also when the two race; the same key with another body answers 422. 1-255 visible ASCII characters (400 otherwise).',
    }),
  );

/** The header's value, undefined without one; 400 naming the header when it is malformed or repeated. */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) {
    const message = `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters (no spaces)`;
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message,
      errors: [{ field: IDEMPOTENCY_HEADER, message }],
    });
  }
  return value;
}

/** JSON with keys sorted at every level, so that the order of a body's fields does not matter. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of the canonical JSON of a (validated) body. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

export interface IdempotencyClaim {
  /** The caller's JWT sub; '' for anonymous callers, who share one key space. */
  owner: string;
  /** What the key creates: 'jobs', 'deployments'. */
  endpoint: string;
  key: string;
  hash: string;
}

export function idempotencyClaim(
  userId: string | null,
  endpoint: string,
  key: string | undefined,
  body: unknown,
): IdempotencyClaim | undefined {
  return key === undefined ? undefined : { owner: userId ?? '', endpoint, key, hash: requestHash(body) };
}

/**
 * Claims the key in `em`'s transaction (call it first there). Answers `null` when this request is
 * the first (it creates, then {@link completeIdempotencyKey}), or the id of what the first request
 * created. A key held by a transaction still running makes this wait for it. 422 when the key was
 * used with another body.
 */
export async function claimIdempotencyKey(em: EntityManager, claim: IdempotencyClaim): Promise<string | null> {
  const connection = em.getConnection();
  const tx = em.getTransactionContext();
  const params = [claim.owner, claim.endpoint, claim.key];
  const claimed = await connection.execute<{ owner: string }[]>(
    `insert into "idempotency_key" ("owner", "endpoint", "key", "request_hash", "created_at") values (?, ?, ?, ?, now())
     on conflict ("owner", "endpoint", "key") do update
       set "request_hash" = excluded."request_hash", "resource_id" = null, "created_at" = excluded."created_at"
       where "idempotency_key"."created_at" < now() - interval '${IDEMPOTENCY_KEY_HOURS} hours'
     returning "owner"`,
    [...params, claim.hash],
    'all',
    tx,
  );
  if (claimed.length > 0) return null;
  // Read committed: this statement sees the row of the request that held the key.
  const [row] = await connection.execute<{ request_hash: string; resource_id: string | null }[]>(
    `select "request_hash", "resource_id" from "idempotency_key" where "owner" = ? and "endpoint" = ? and "key" = ?`,
    params,
    'all',
    tx,
  );
  if (!row || row.resource_id === null) {
    throw new Error(`idempotency key of ${claim.endpoint} vanished or lost its resource while claimed`);
  }
  if (row.request_hash.trim() !== claim.hash) {
    throw new Unprocessable(
      `${IDEMPOTENCY_HEADER} ${JSON.stringify(claim.key)} was used with another request body in the last ${IDEMPOTENCY_KEY_HOURS} hours; use a new key for a new request`,
      { field: IDEMPOTENCY_HEADER },
    );
  }
  return row.resource_id;
}

/** Records what the claiming request created, in the same transaction. */
export async function completeIdempotencyKey(
  em: EntityManager,
  claim: IdempotencyClaim,
  resourceId: string,
): Promise<void> {
  await em
    .getConnection()
    .execute(
      `update "idempotency_key" set "resource_id" = ? where "owner" = ? and "endpoint" = ? and "key" = ?`,
      [resourceId, claim.owner, claim.endpoint, claim.key],
      'run',
      em.getTransactionContext(),
    );
}

/** Deletes the keys older than 24 h; answers how many. */
export async function deleteExpiredIdempotencyKeys(em: EntityManager): Promise<number> {
  const res = await em
    .getConnection()
    .execute<{ affectedRows?: number }>(
      `delete from "idempotency_key" where "created_at" < now() - interval '${IDEMPOTENCY_KEY_HOURS} hours'`,
      [],
      'run',
    );
  return res.affectedRows ?? 0;
}
