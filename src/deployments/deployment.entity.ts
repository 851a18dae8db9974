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
    /**
     * Its current programs. A PUT detaches them (their rows stay, for the jobs that run them) and adds
     * new ones with the next revision; no program row is ever changed (docs/decisions/0006).
     */
    programs: () => p.oneToMany(QuantumProgram).mappedBy('deployment').orderBy({ position: 'asc' }),
    /** Revision of the programs: 1 at creation, one more with every PUT. Jobs record the one they run. */
    revision: p.integer().default(1),
    version: p.integer().version(),
  },
});

export class Deployment extends DeploymentSchema.class {}
DeploymentSchema.setClass(Deployment);
