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
    data: p.json<Record<string, unknown>>(),
    meta: p.json<Record<string, unknown>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});

export class Result extends ResultSchema.class {}
ResultSchema.setClass(Result);
