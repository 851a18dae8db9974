/**
 * The persistent model of Qunest, composed here (beside the composition roots in app.module.ts):
 * every module's entities and the mappers from its change sets to domain events. The database module
 * knows none of them by name; it is given this model.
 */
import { DeploymentSchema } from './deployments/deployment.entity';
import { deploymentEventMapper } from './deployments/deployment.events';
import { QuantumProgramSchema } from './deployments/quantum-program.entity';
import { DeviceSchema } from './devices/device.entity';
import { deviceEventMapper } from './devices/device.events';
import { ProviderSchema } from './devices/provider.entity';
import { OutboxEventSchema } from './database/outbox/outbox-event.entity';
import { buildOrmConfig, type OrmConfigOptions, type OrmModel } from './database/orm-config';
import { JobProgramSchema, JobSchema } from './jobs/job.entity';
import { jobEventMapper, jobSeq } from './jobs/job.events';
import { ResultDataSchema, ResultSchema } from './jobs/result.entity';
import { TransientJobStateSchema } from './jobs/transient-job-state.entity';
import { WebhookAttemptSchema, WebhookDeliverySchema, WebhookSchema } from './webhooks/webhook.entity';

export const MODEL: OrmModel = {
  entities: [
    ProviderSchema,
    DeviceSchema,
    DeploymentSchema,
    QuantumProgramSchema,
    JobSchema,
    JobProgramSchema,
    ResultSchema,
    ResultDataSchema,
    TransientJobStateSchema,
    OutboxEventSchema,
    WebhookSchema,
    WebhookDeliverySchema,
    WebhookAttemptSchema,
  ],
  eventMappers: [jobEventMapper, deploymentEventMapper, deviceEventMapper],
  jobSeq,
};

/** The MikroORM configuration of Qunest's model, for the app, the workers, tools and tests. */
export function ormConfig(options: Omit<OrmConfigOptions, 'model'>) {
  return buildOrmConfig({ ...options, model: MODEL });
}
