import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { Deployment } from './deployment.entity';
import { ASSEMBLER_LANGUAGES } from './languages';

export const QuantumProgramSchema = defineEntity({
  name: 'QuantumProgram',
  tableName: 'quantum_program',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    /**
     * The deployment whose current program it is; null once a PUT replaced it or the deployment was
     * deleted. A program row is immutable and stays while a job or result refers to it
     * (docs/decisions/0006-immutable-programs.md).
     */
    deployment: () => p.manyToOne(Deployment).nullable().deleteRule('set null'),
    /** The deployment's revision this program belongs to. */
    revision: p.integer().default(1),
    /** Order of the program inside its deployment, from 0. */
    position: p.integer(),
    quantumCircuit: p.text(),
    assemblerLanguage: p.enum(ASSEMBLER_LANGUAGES),
  },
});

export class QuantumProgram extends QuantumProgramSchema.class {}
QuantumProgramSchema.setClass(QuantumProgram);
