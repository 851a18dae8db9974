import { DeploymentSchema } from '../deployments/deployment.entity';
import { QuantumProgramSchema } from '../deployments/quantum-program.entity';
import { DeviceSchema } from '../devices/device.entity';
import { ProviderSchema } from '../devices/provider.entity';
import { JobSchema } from '../jobs/job.entity';
import { ResultSchema } from '../jobs/result.entity';
import { TransientJobStateSchema } from '../jobs/transient-job-state.entity';
import { deploymentEventMapper } from '../deployments/deployment.events';
import { deviceEventMapper } from '../devices/device.events';
import { jobEventMapper, jobSeq } from '../jobs/job.events';
import { OutboxEventSchema } from './outbox/outbox-event.entity';
import type { EventMapper, JobSeq } from './outbox/outbox.subscriber';

/** Every entity of Qunest. Each module owns its own; the ORM needs the whole list once. */
export const ENTITIES = [
  ProviderSchema,
  DeviceSchema,
  DeploymentSchema,
  QuantumProgramSchema,
  JobSchema,
  ResultSchema,
  TransientJobStateSchema,
  OutboxEventSchema,
];

/** Every mapper from change sets to domain events; each module owns the one of its entities. */
export const EVENT_MAPPERS: readonly EventMapper[] = [jobEventMapper, deploymentEventMapper, deviceEventMapper];

/** Which entity carries the per-job event counter, so that the outbox numbers job events in the flush. */
export const JOB_SEQ: JobSeq = jobSeq;
