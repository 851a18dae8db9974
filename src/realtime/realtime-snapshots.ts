import { IsolationLevel } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ownerFilter, type Principal } from '../auth/principal';
import { Deployment } from '../deployments/deployment.entity';
import { Device } from '../devices/device.entity';
import { jobView, resultView } from '../jobs/job.views';
import { Job } from '../jobs/job.entity';
import type { JobState } from '../jobs/job.enums';
import {
  SNAPSHOT_JOB_LIMIT,
  type AllSnapshot,
  type AnySnapshot,
  type DeploymentSnapshot,
  type DeviceSnapshot,
  type JobBrief,
  type JobSnapshot,
  type SubscriptionTarget,
} from './realtime.contract';

const ACTIVE_STATES: JobState[] = ['READY', 'BLOCKED', 'RUNNING'];

const brief = (j: Job): JobBrief => ({ id: j.id, state: j.state, progress: j.progress, seq: j.eventSeq });

/**
 * Reads the snapshot a subscription starts from, with the ownership rule. Each snapshot is read in
 * one REPEATABLE READ transaction, so a job's results and its `seq` (job.eventSeq) describe the same
 * moment: every event with a greater seq was committed later. Returns null when the target does not
 * exist or the principal may not see it (the client gets "not found" either way, so ids do not leak).
 */
@Injectable()
export class RealtimeSnapshots {
  constructor(private readonly em: EntityManager) {}

  read(principal: Principal, target: SubscriptionTarget, connections: number): Promise<AnySnapshot | null> {
    return this.em.fork().transactional(
      async (em) => {
        if ('jobId' in target) return this.job(em, principal, target.jobId);
        if ('deploymentId' in target) return this.deployment(em, principal, target.deploymentId);
        if ('deviceId' in target) return this.device(em, principal, target.deviceId);
        return this.all(em, connections);
      },
      { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
    );
  }

  private async job(em: EntityManager, principal: Principal, id: string): Promise<JobSnapshot | null> {
    const job = await em.findOne(Job, { id, ...ownerFilter(principal, 'executedBy') }, { populate: ['results'] });
    if (!job) return null;
    return {
      job: { ...jobView(job), seq: job.eventSeq },
      results: job.results.getItems().map((r) => resultView(r, principal)),
    };
  }

  private async deployment(em: EntityManager, principal: Principal, id: string): Promise<DeploymentSnapshot | null> {
    const deployment = await em.findOne(Deployment, { id, ...ownerFilter(principal, 'deployedBy') });
    if (!deployment) return null;
    const [jobs, totalJobs] = await em.findAndCount(
      Job,
      { deployment: id, ...ownerFilter(principal, 'executedBy') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: SNAPSHOT_JOB_LIMIT },
    );
    return {
      deployment: { id: deployment.id, name: deployment.name, ownerId: deployment.deployedBy ?? null },
      jobs: jobs.map(brief),
      totalJobs,
    };
  }

  private async device(em: EntityManager, principal: Principal, id: string): Promise<DeviceSnapshot | null> {
    const device = await em.findOne(Device, { id }, { populate: ['provider'] });
    if (!device) return null;
    const jobs = await em.find(
      Job,
      { executedOn: id, state: { $in: ACTIVE_STATES }, ...ownerFilter(principal, 'executedBy') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: SNAPSHOT_JOB_LIMIT },
    );
    return {
      device: {
        id: device.id,
        name: device.name,
        status: device.status,
        providerId: device.provider.id,
        providerName: device.provider.name,
        numQubits: device.numQubits,
        isSimulator: device.isSimulator,
      },
      activeJobs: jobs.map(brief),
    };
  }

  private async all(em: EntityManager, connections: number): Promise<AllSnapshot> {
    const rows = await em.execute<{ state: JobState; n: number }[]>(
      'select state, count(*)::int as n from job group by state',
    );
    const jobsByState: AllSnapshot['jobsByState'] = {};
    for (const row of rows) jobsByState[row.state] = Number(row.n);
    return { jobsByState, connections };
  }
}

/** The seq a snapshot holds for a job, if it lists that job. */
export function snapshotSeq(snapshot: AnySnapshot, jobId: string): number | undefined {
  if ('job' in snapshot) return snapshot.job.id === jobId ? snapshot.job.seq : undefined;
  const list = 'jobs' in snapshot ? snapshot.jobs : 'activeJobs' in snapshot ? snapshot.activeJobs : undefined;
  return list?.find((j) => j.id === jobId)?.seq;
}
