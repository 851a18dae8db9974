import type { ChangeSet } from '@mikro-orm/core';
import type { EventMapper } from '../database/outbox/outbox.subscriber';
import { Deployment } from './deployment.entity';
import { QuantumProgram } from './quantum-program.entity';

/** The events of deployments (part of events/domain-events.ts' DomainEventMap). */
export interface DeploymentEventMap {
  'deployment.created': { deploymentId: string; ownerId: string | null; name: string; at: string };
  'deployment.updated': { deploymentId: string; ownerId: string | null; name: string; at: string };
  'deployment.deleted': { deploymentId: string; ownerId: string | null; at: string };
}

/** deployment.created / updated / deleted; a change of its programs counts as an update of the deployment. */
export const deploymentEventMapper: EventMapper = (cs: ChangeSet<object>, out) => {
  const entity = cs.entity;
  let deployment: Deployment | undefined;
  let name: keyof DeploymentEventMap;
  if (entity instanceof Deployment) {
    deployment = entity;
    name =
      cs.type === 'create' ? 'deployment.created' : cs.type === 'delete' ? 'deployment.deleted' : 'deployment.updated';
  } else if (entity instanceof QuantumProgram) {
    // A program removed from its deployment (orphan removal) no longer points to it; the programs
    // added in the same flush, or the deployment's own change set, raise the event instead.
    if (!entity.deployment) return;
    deployment = entity.deployment;
    name = 'deployment.updated';
  } else {
    return;
  }
  // One event a deployment a flush: its own change set wins over those of its programs.
  const existing = out.findIndex((e) => e.name.startsWith('deployment.') && e.deploymentId === deployment.id);
  if (existing >= 0) {
    if (name === 'deployment.updated') return;
    out.splice(existing, 1);
  }
  const at = new Date().toISOString();
  const ownerId = deployment.deployedBy ?? null;
  const payload: DeploymentEventMap[typeof name] =
    name === 'deployment.deleted'
      ? { deploymentId: deployment.id, ownerId, at }
      : { deploymentId: deployment.id, ownerId, name: deployment.name, at };
  out.push({ name, deploymentId: deployment.id, ownerId, payload, order: 0 });
};
