import { defineEntity, p } from '@mikro-orm/core';
import { uuidv7 } from '../common/uuid';
import { QuantumProgram } from './quantum-program.entity';

export const DeploymentSchema = defineEntity({
  name: 'Deployment',
  tableName: 'deployment',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => uuidv7()),
    name: p.string().length(200).index(),
    /** Owner: the JWT `sub` of its creator, or null for a public deployment. */
    deployedBy: p.string().length(255).nullable().index(),
    deployedAt: p.datetime().onCreate(() => new Date()),
    programs: () => p.oneToMany(QuantumProgram).mappedBy('deployment').orphanRemoval().orderBy({ position: 'asc' }),
    version: p.integer().version(),
  },
});

export class Deployment extends DeploymentSchema.class {}
DeploymentSchema.setClass(Deployment);
