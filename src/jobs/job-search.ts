import type { FilterQuery } from '@mikro-orm/postgresql';
import { BadRequestException } from '@nestjs/common';
import type { JobQueryDto } from './dto/job.dto';
import type { Job } from './job.entity';

/**
 * The filters of GET /api/jobs as one MikroORM filter, each served by an index of
 * Migration20261202140000JobApi: `tag` by the GIN index on tags (`tags @> {…}`), `q` by the trigram
 * index on name (`name ilike '%…%'`) or, for an id prefix, a range of the primary key, the dates and
 * sorts by the btree indexes on (created_at, id), (finished_at, id) and their owner variants.
 */
export function jobSearchFilter(q: JobQueryDto): FilterQuery<Job>[] {
  const and: FilterQuery<Job>[] = [];
  if (q.state) and.push({ state: q.state });
  if (q.deploymentId) and.push({ deployment: q.deploymentId });
  if (q.deviceId) and.push({ executedOn: q.deviceId });
  if (q.owner !== undefined) and.push({ executedBy: q.owner === 'public' ? null : q.owner });
  if (q.tag?.length) and.push({ tags: { $contains: q.tag } });
  if (q.q) and.push(textFilter(q.q));
  if (q.createdAfter) and.push({ createdAt: { $gte: dateOf(q.createdAfter, 'createdAfter') } });
  if (q.createdBefore) and.push({ createdAt: { $lt: dateOf(q.createdBefore, 'createdBefore') } });
  return and;
}

/** `q`: a case-insensitive substring of the name, or a prefix of the id. */
function textFilter(text: string): FilterQuery<Job> {
  const name: FilterQuery<Job> = { name: { $ilike: `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } };
  const range = idPrefixRange(text);
  return range ? { $or: [name, { id: { $gte: range[0], $lte: range[1] } }] } : name;
}

const UUID_DASHES = [8, 13, 18, 23];

/**
 * The ids that start with `prefix` (hex digits, and dashes where a UUID has them) as the inclusive
 * range [prefix 000…, prefix fff…], which the primary key's btree serves; null when `prefix` cannot
 * begin a UUID.
 */
export function idPrefixRange(prefix: string): [string, string] | null {
  const p = prefix.toLowerCase();
  if (p.length > 36) return null;
  for (let i = 0; i < p.length; i++) {
    const dash = UUID_DASHES.includes(i);
    if (dash ? p[i] !== '-' : !/[0-9a-f]/.test(p[i])) return null;
  }
  const hex = p.replace(/-/g, '');
  const format = (h: string) =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return [format(hex.padEnd(32, '0')), format(hex.padEnd(32, 'f'))];
}

/** An ISO 8601 text that validation let through as a Date; 400 naming the field when JavaScript cannot represent it. */
function dateOf(text: string, field: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    const message = `${field} must be an ISO 8601 date or date-time between the years 0 and 275759`;
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message, errors: [{ field, message }] });
  }
  return date;
}
