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
    deployment: () => p.manyToOne(Deployment).deleteRule('cascade'),
    /** Order of the program inside its deployment, from 0. */
    position: p.integer(),
    quantumCircuit: p.text(),
    assemblerLanguage: p.enum(ASSEMBLER_LANGUAGES),
  },
});

export class QuantumProgram extends QuantumProgramSchema.class {}
QuantumProgramSchema.setClass(QuantumProgram);
