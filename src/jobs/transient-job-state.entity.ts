import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { QuantumProgram } from '../deployments/quantum-program.entity';
import { Job } from './job.entity';

/** Scratch state of a running job (per program or circuit fragment); deleted when the job ends. */
export const TransientJobStateSchema = defineEntity({
  name: 'TransientJobState',
  tableName: 'transient_job_state',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    job: () => p.manyToOne(Job).deleteRule('cascade'),
    program: () => p.manyToOne(QuantumProgram).nullable().deleteRule('cascade'),
    circuitFragmentId: p.string().length(255).nullable(),
    data: p.json<Record<string, unknown>>(),
  },
});

export class TransientJobState extends TransientJobStateSchema.class {}
TransientJobStateSchema.setClass(TransientJobState);
