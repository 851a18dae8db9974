import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { QuantumProgram } from '../deployments/quantum-program.entity';
import { Job } from './job.entity';
import { RESULT_TYPES } from './job.enums';

export const ResultSchema = defineEntity({
  name: 'Result',
  tableName: 'result',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    job: () => p.manyToOne(Job).deleteRule('cascade'),
    program: () => p.manyToOne(QuantumProgram).nullable().deleteRule('set null'),
    resultType: p.enum(RESULT_TYPES),
    /** The whole result, or for a large distribution its most probable entries (see dataEntries). */
    data: p.json<Record<string, unknown>>(),
    meta: p.json<Record<string, unknown>>(),
    /**
     * Entries stored in `result_data` chunks (the whole distribution, most probable first), or null
     * when `data` is the whole result. Job reads never load the chunks.
     */
    dataEntries: p.integer().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class Result extends ResultSchema.class {}
ResultSchema.setClass(Result);

/**
 * A chunk of a large result's entries: a JSON array of [key, value] pairs, entries firstEntry ..
 * firstEntry + entryCount - 1 in the stored order (most probable first). Written in the transaction
 * of saveResults; deleted with the result.
 */
export const ResultDataSchema = defineEntity({
  name: 'ResultData',
  tableName: 'result_data',
  uniques: [{ properties: ['result', 'chunk'] }],
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    result: () => p.manyToOne(Result).deleteRule('cascade'),
    chunk: p.integer(),
    firstEntry: p.integer(),
    entryCount: p.integer(),
    /** JSON text (not jsonb): kept as written, in order, and compressed by PostgreSQL when large. */
    entries: p.text().lazy(),
  },
});

export class ResultData extends ResultDataSchema.class {}
ResultDataSchema.setClass(ResultData);
