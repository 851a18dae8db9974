import { EntityManager, LockMode, OptimisticLockError, type FilterQuery } from '@mikro-orm/postgresql';
import { HttpException, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { assertCanChange, canSee, ownerFilter, type Principal } from '../auth/principal';
import { PROVIDER_TOKEN_KEY, ProviderTokens } from '../auth/provider-tokens';
import { Conflict, NotFound, Unprocessable } from '../common/errors';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  idempotencyClaim,
} from '../common/idempotency';
import { GroupCommit } from '../common/group-commit';
import { PeriodicTasks } from '../common/periodic-tasks';
import { isUuid, uuidv7 } from '../common/uuid';
import { Page } from '../common/paging';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Deployment } from '../deployments/deployment.entity';
import { DeploymentsService } from '../deployments/deployments.service';
import { QuantumProgram } from '../deployments/quantum-program.entity';
import type { Device } from '../devices/device.entity';
import { DevicesService } from '../devices/devices.service';
import type { CreateJobDto, JobEventDto, JobQueryDto } from './dto/job.dto';
import { jobSearchFilter } from './job-search';
import { visibleMeta } from './job.views';
import { Job, JobProgram } from './job.entity';
import type { JobRun } from './job-run';
import type { JobState, ResultType } from './job.enums';
import { JobQueue, type FollowState, type QueueEntry } from './job-queue';
import { REMOTE_HANDLE_KEY, RemoteJobControl, type StoredRemoteHandle } from './remote-job-control';
import {
  chunkCount,
  chunkOf,
  formatLines,
  inlineEntries,
  parseChunk,
  shapeResult,
  type PresortedEntries,
  type ResultDataOrder,
  type ResultEntry,
  type ResultLimits,
} from './result-data';
import { Result } from './result.entity';

/** The `result_data` table as the chunks are written (Kysely, bound parameters). */
interface ResultDataTable {
  result_data: { result_id: string; chunk: number; first_entry: number; entry_count: number; entries: string };
}
import { TransientJobState } from './transient-job-state.entity';
import { localMitigationProblem } from './local-mitigation';

/** What a job asks for, as submitted (and as a rerun copies it). */
type JobSettings = Pick<Job, 'shots' | 'type' | 'errorMitigation'> & {
  name: string | null;
  cutToWidth: number | null;
  seed: number | null;
  observables: Job['observables'];
  tags: string[];
};

/** A submission's answer from the group commit: its job, or why it was refused. */
type Created = { job: Job } | { error: unknown };

function settingsOf(dto: CreateJobDto): JobSettings {
  return {
    name: dto.name ?? null,
    shots: dto.shots,
    type: dto.type,
    errorMitigation: dto.errorMitigation,
    cutToWidth: dto.cutToWidth ?? null,
    seed: dto.seed ?? null,
    observables: dto.observables?.map((o) => ({ pauli: o.pauli, coefficient: o.coefficient ?? 1 })) ?? null,
    tags: dto.tags ?? [],
  };
}

/**
 * The rows of a group commit's jobs, locked FOR UPDATE in id order (so that two batches cannot
 * deadlock, and a concurrent writer waits for the commit), by id.
 */
async function lockJobs(em: EntityManager, ids: string[]): Promise<Map<string, Job>> {
  const jobs = await em.find(
    Job,
    { id: { $in: ids } },
    { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
  );
  return new Map(jobs.map((j) => [j.id, j]));
}

/** The observables a cut is planned for: an ESTIMATOR's, else none. */
function cutObservables(settings: Pick<JobSettings, 'type' | 'observables'>): string[] | undefined {
  return settings.type === 'ESTIMATOR' ? settings.observables?.map((o) => o.pauli) : undefined;
}

/** What a planned cut depends on: the width, the observables and the program rows (immutable: decision 0006). */
function cutKey(
  settings: Pick<JobSettings, 'cutToWidth' | 'type' | 'observables'>,
  programs: QuantumProgram[],
): string {
  return JSON.stringify([settings.cutToWidth, cutObservables(settings) ?? null, programs.map((p) => p.id)]);
}

const MAX_LOCK_RETRIES = 8;

/** First key of the advisory locks that serialize the fair-share check of one owner (the second is the owner's hash). */
const SHARE_LOCK = 7_420_112;

/** What {@link JobsService.startWithinShare} did with a job a worker took from the queue. */
export type ShareStart =
  /** RUNNING now; here is what to run. */
  | { kind: 'started'; run: JobRun }
  /** Gone, canceled or ended meanwhile: nothing to run. */
  | { kind: 'not-runnable' }
  /** The job waits on another queue entry than the one taken (it was handed back): nothing to run. */
  | { kind: 'stale-entry' }
  /** Its owner already has `limit` RUNNING jobs: the job stays READY, to be handed back to the queue. */
  | { kind: 'over-share'; running: number; limit: number };

export interface TransientStateQuery {
  program?: string | null;
  circuitFragmentId?: string | null;
  /** Only entries whose data contains these key/value pairs. */
  filter?: Record<string, unknown>;
}

/** A result to store: the engine's or a backend's {resultType, data, meta}, of a program (by id) or of the job. */
export interface ResultInput {
  programId?: string | null;
  resultType: ResultType;
  data: Record<string, unknown>;
  meta?: Record<string, unknown>;
  /**
   * A distribution its producer sorted and chunked (the engine's `chunking`, asked for with
   * presortedChunking): stored as it comes, `data` then holding its most probable entries.
   */
  sorted?: PresortedEntries;
}

/** What saveError stores besides the message: the program at fault, and extra data and meta of the ERROR result. */
export interface JobFailure {
  programId?: string | null;
  data?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

export interface MutationOutcome {
  job: Job;
  /** False when the job was already terminal (or could not make the move) and nothing changed. */
  applied: boolean;
}

/**
 * Jobs: submission (row + queue entry in one transaction), reads with the ownership rule, and the
 * state changes the workers make. Every use case is one unit of work: load, change, flush once.
 */
@Injectable()
export class JobsService implements OnModuleInit {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly queue: JobQueue,
    private readonly deployments: DeploymentsService,
    private readonly devices: DevicesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providerTokens: ProviderTokens,
    private readonly periodic: PeriodicTasks,
    private readonly remote: RemoteJobControl,
  ) {}

  /** Idempotency keys older than 24 h are deleted every 10 minutes (they are ignored once expired anyway). */
  onModuleInit(): void {
    this.periodic.every('idempotency keys cleanup', 10 * 60_000, () => deleteExpiredIdempotencyKeys(this.em.fork()));
  }

  // ---- reads (with the ownership rule) ----

  /** The jobs `user` may see, filtered (job-search.ts) and sorted by createdAt or finishedAt (ties by id). */
  async list(user: Principal, q: JobQueryDto): Promise<[Job[], number]> {
    const owner = ownerFilter(user, 'executedBy');
    const where: FilterQuery<Job> = { $and: [...(owner ? [owner as FilterQuery<Job>] : []), ...jobSearchFilter(q)] };
    const sort = q.sort ?? 'createdAt';
    const order = q.order ?? 'desc';
    return this.em.findAndCount(Job, where, {
      orderBy: { [sort]: order, id: order },
      limit: q.limit,
      offset: q.offset,
    });
  }

  /**
   * A job's committed events in seq order (the job_event table, which a trigger fills from the outbox
   * in the same transaction; kept as long as the job), after `afterSeq`; 404 for a job `user` may not see.
   */
  async events(
    user: Principal,
    id: string,
    q: { afterSeq: number; limit: number; offset: number },
  ): Promise<Page<JobEventDto>> {
    const job = await this.get(user, id);
    const connection = this.em.getConnection();
    const [rows, [{ total }]] = await Promise.all([
      connection.execute<{ seq: number; name: string; payload: Record<string, unknown>; created_at: Date }[]>(
        `select "seq", "name", "payload", "created_at" from "job_event"
          where "job_id" = ? and "seq" > ? order by "seq" limit ? offset ?`,
        [job.id, q.afterSeq, q.limit, q.offset],
      ),
      connection.execute<{ total: string | number }[]>(
        `select count(*) as "total" from "job_event" where "job_id" = ? and "seq" > ?`,
        [job.id, q.afterSeq],
      ),
    ]);
    const items = rows.map((r) => {
      let payload = typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload;
      const result = payload.result as { resultType: ResultType; meta: Record<string, unknown> } | undefined;
      if (r.name === 'job.result' && result?.meta)
        payload = { ...payload, result: { ...result, meta: visibleMeta(result, user) } };
      return { seq: Number(r.seq), name: r.name, payload, at: new Date(r.created_at).toISOString() };
    });
    return { items, total: Number(total), limit: q.limit, offset: q.offset };
  }

  async get(user: Principal, id: string, withResults = false, em: EntityManager = this.em): Promise<Job> {
    const job = isUuid(id)
      ? await em.findOne(Job, { id, ...ownerFilter(user, 'executedBy') }, { populate: withResults ? ['results'] : [] })
      : null;
    if (!job) throw new NotFound('job', id);
    return job;
  }

  async getResult(user: Principal, jobId: string, resultId: string): Promise<Result> {
    const job = await this.get(user, jobId);
    const result = isUuid(resultId) ? await this.em.findOne(Result, { id: resultId, job }) : null;
    if (!result) throw new NotFound('result', resultId);
    return result;
  }

  /**
   * One page of a result's entries: a large result's from the chunks that hold the page (order
   * `count`, the stored order) or sorted by key in the database (order `key`); a small one's from its
   * data. The event loop only ever handles one page's chunks.
   */
  async getResultData(
    user: Principal,
    jobId: string,
    resultId: string,
    q: { offset: number; limit: number; order: ResultDataOrder },
  ): Promise<Page<[string, unknown]>> {
    const result = await this.getResult(user, jobId, resultId);
    const { offset, limit } = q;
    if (result.dataEntries == null) {
      const entries = inlineEntries(result.data, q.order);
      return { items: entries.slice(offset, offset + limit), total: entries.length, limit, offset };
    }
    const total = result.dataEntries;
    const end = Math.min(offset + limit, total);
    let items: ResultEntry[] = [];
    if (offset < end && q.order === 'count') {
      const chunks = await this.em.getConnection().execute<{ first_entry: number; entries: string }[]>(
        `select first_entry, entries from result_data
          where result_id = ? and first_entry < ? and first_entry + entry_count > ? order by chunk`,
        [result.id, end, offset],
      );
      for (const c of chunks) {
        const first = Number(c.first_entry);
        items.push(...parseChunk(c.entries).slice(Math.max(0, offset - first), end - first));
      }
    } else if (offset < end) {
      const rows = await this.em.getConnection().execute<{ k: string; v: number }[]>(
        `select e->>0 as k, (e->>1)::float8 as v
           from result_data d cross join lateral json_array_elements(d.entries::json) e
          where d.result_id = ? order by (e->>0) collate "C" offset ? limit ?`,
        [result.id, offset, end - offset],
      );
      items = rows.map((r) => [r.k, Number(r.v)]);
    }
    return { items, total, limit, offset };
  }

  /**
   * A result's entries as a download, most probable first: NDJSON or CSV text, produced one stored
   * chunk at a time as the reader asks for more (Readable.from over this generator pulls: one chunk
   * is read from the database and formatted only when the previous one has been taken).
   */
  async resultDownload(
    user: Principal,
    jobId: string,
    resultId: string,
    format: 'ndjson' | 'csv',
  ): Promise<{ result: Result; lines: AsyncGenerator<string> }> {
    const result = await this.getResult(user, jobId, resultId);
    const connection = this.em.getConnection();
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield 'key,value\n';
      if (result.dataEntries == null) {
        yield formatLines(inlineEntries(result.data, 'count'), format);
        return;
      }
      for (let chunk = 0, seen = 0; seen < result.dataEntries; chunk++) {
        const [row] = await connection.execute<{ entry_count: number; entries: string }[]>(
          'select entry_count, entries from result_data where result_id = ? and chunk = ?',
          [result.id, chunk],
        );
        if (!row) throw new Error(`result ${result.id} lost its chunk ${chunk} while it was read (deleted?)`);
        seen += Number(row.entry_count);
        yield formatLines(parseChunk(row.entries), format);
      }
    }
    return { result, lines: lines() };
  }

  /**
   * Jobs of a deployment, newest first (qunicorn-core's findByDeployment): those `viewer` may see, or
   * all of them without a viewer (for workers and admin tools). Usable outside a request.
   */
  async findByDeployment(
    deploymentId: string,
    viewer?: Principal,
    page?: { limit: number; offset: number },
  ): Promise<[Job[], number]> {
    const where: FilterQuery<Job> = { deployment: deploymentId, ...(viewer && ownerFilter(viewer, 'executedBy')) };
    return this.em.fork().findAndCount(Job, where, { orderBy: { createdAt: 'desc', id: 'desc' }, ...page });
  }

  async listByDeployment(user: Principal, deploymentId: string, limit: number, offset: number): Promise<Page<Job>> {
    await this.deployments.assertVisible(user, deploymentId);
    const [items, total] = await this.findByDeployment(deploymentId, user, { limit, offset });
    return { items, total, limit, offset };
  }

  // ---- submission and user actions ----

  /**
   * With `idempotencyKey`, the key is claimed first in the transaction (common/idempotency.ts): a
   * replay answers the job the first request created (as it is now), a racing one waits for it.
   */
  async create(user: Principal, dto: CreateJobDto, idempotencyKey?: string): Promise<Job> {
    if (dto.shots > this.config.maxShots) {
      throw new Unprocessable(`shots must not be greater than ${this.config.maxShots}`, { field: 'shots' });
    }
    if (dto.token !== undefined && !this.providerTokens.enabled) {
      throw new Unprocessable(
        'a provider token can only be accepted when the server has TOKEN_ENCRYPTION_KEY set (to keep it encrypted); send the job without a token or ask the operator',
        { field: 'token' },
      );
    }
    const claim = idempotencyClaim(user.userId, 'jobs', idempotencyKey, dto);
    // The common case joins the group commit of submissions; a replayable one, one that names its
    // device by provider and name, or one to cut (its cut is planned in an engine thread, which the
    // batch's transaction should not wait on) goes alone.
    if (!claim && dto.deviceId && dto.cutToWidth == null) {
      const created = await this.creates.submit({ user, dto });
      if ('error' in created) throw created.error;
      return created.job;
    }
    const settings = settingsOf(dto);
    // A cut is planned before the transaction (its engine thread must not hold a connection and the
    // deployment's lock); the transaction plans again only if the programs changed meanwhile.
    const planned =
      settings.cutToWidth === null
        ? undefined
        : await this.planCutAhead(settings, (await this.deployments.get(user, dto.deploymentId)).programs.getItems());
    return this.em.transactional(async (em) => {
      const first = claim ? await claimIdempotencyKey(em, claim) : null;
      if (first !== null) return this.get(user, first, false, em);
      // Locked (FOR SHARE) until the job commits: a PUT or DELETE of the deployment waits, so the job
      // records the programs that are current, and they cannot be deleted in between.
      const deployment = await this.deployments.get(user, dto.deploymentId, em, { lock: 'share' });
      const device = dto.deviceId
        ? await this.devices.getDevice(dto.deviceId, em)
        : await this.devices.findByName(dto.providerName!, dto.deviceName!, em);
      const programs = { revision: deployment.revision, programs: deployment.programs.getItems() };
      const job = await this.submit(
        em,
        deployment,
        programs,
        device,
        user.userId,
        settings,
        dto.token,
        undefined,
        planned,
      );
      if (claim) await completeIdempotencyKey(em, claim, job.id);
      return job;
    });
  }

  /**
   * Group commit of the submissions that arrive while one is being written (as for the workers'
   * starts and saves): one transaction reads their deployments (FOR SHARE, in id order) with their
   * programs and their devices, inserts every job, its program links, its event and its queue entry
   * (one statement each for the lot), and commits once. A submission that is refused (4xx: a
   * deployment or device not found or not visible, a device that cannot run it) gets its own answer
   * and writes nothing; any other error fails the batch, and its submissions then go alone.
   */
  private readonly creates = new GroupCommit<{ user: Principal; dto: CreateJobDto }, Created>(
    GROUP_COMMIT_MAX,
    (items) => this.createTogether(items),
  );

  private async createTogether(items: { user: Principal; dto: CreateJobDto }[]): Promise<Created[]> {
    if (items.length > 1) {
      try {
        return await this.em.fork().transactional(async (em) => {
          const deployments = await this.deployments.lockForJobs(
            items.map((i) => i.dto.deploymentId),
            em,
          );
          const devices = await this.devices.getDevices(
            items.map((i) => i.dto.deviceId!),
            em,
          );
          const entries: Parameters<JobQueue['enqueueMany']>[0] = [];
          const out: Created[] = [];
          for (const { user, dto } of items) {
            const deployment = deployments.get(dto.deploymentId);
            const device = devices.get(dto.deviceId!);
            try {
              if (!deployment || !canSee(user, deployment.deployedBy))
                throw new NotFound('deployment', dto.deploymentId);
              if (!device) throw new NotFound('device', dto.deviceId!);
              const programs = { revision: deployment.revision, programs: deployment.programs.getItems() };
              const job = await this.submit(
                em,
                deployment,
                programs,
                device,
                user.userId,
                settingsOf(dto),
                dto.token,
                (e) => entries.push(e),
              );
              out.push({ job });
            } catch (error) {
              // A refusal (its checks all come before submit creates anything) is this submission's answer.
              if (!(error instanceof HttpException)) throw error;
              out.push({ error });
            }
          }
          await this.queue.enqueueMany(entries, em);
          return out;
        });
      } catch (err) {
        this.logger.debug(`a group commit of ${items.length} submissions failed (${String(err)}); each goes alone`);
      }
    }
    return Promise.all(
      items.map(({ user, dto }) =>
        this.em
          .fork()
          .transactional(async (em): Promise<Created> => {
            const deployment = await this.deployments.get(user, dto.deploymentId, em, { lock: 'share' });
            const device = await this.devices.getDevice(dto.deviceId!, em);
            const programs = { revision: deployment.revision, programs: deployment.programs.getItems() };
            return {
              job: await this.submit(em, deployment, programs, device, user.userId, settingsOf(dto), dto.token),
            };
          })
          .catch((error: unknown): Created => ({ error })),
      ),
    );
  }

  /**
   * Plans the cut of a job about to be submitted, outside any transaction (refusing it with 422 as
   * submit would); answers the key submit recognizes, so that it does not plan the same programs again.
   */
  private async planCutAhead(
    settings: Pick<JobSettings, 'cutToWidth' | 'type' | 'observables'>,
    programs: QuantumProgram[],
  ): Promise<string | undefined> {
    if (settings.cutToWidth === null || programs.length === 0) return undefined;
    await this.deployments.planCuts(programs, settings.cutToWidth, cutObservables(settings));
    return cutKey(settings, programs);
  }

  /**
   * The one way a job comes to be (create and rerun): checked, inserted READY with its queue entry
   * and (sealed) provider token, all written by the one flush of the caller's transaction. The ids of
   * the job and of its queue entry are made here, so nothing needs a second write.
   */
  private async submit(
    em: EntityManager,
    deployment: Deployment,
    run: { revision: number; programs: QuantumProgram[] },
    device: Device,
    owner: string | null,
    settings: JobSettings,
    token?: string,
    enqueueLater?: (entry: Parameters<JobQueue['enqueueMany']>[0][number]) => void,
    /** The key of a cut planned before the transaction (planCutAhead): not planned again if it still applies. */
    plannedCut?: string,
  ): Promise<Job> {
    // Every check comes before the first em.create: the group commit of submissions relies on a
    // refused submission having written nothing.
    this.checkRunnable(run.programs, device);
    // Accepted only where a device applies them (remote ones say which): never stored and ignored.
    if (settings.errorMitigation !== 'none' && device.isLocal) {
      const problem = localMitigationProblem(
        { name: device.name, providerName: device.provider.name, noiseModel: device.noiseModel },
        settings.errorMitigation,
        settings.type,
      );
      if (problem) throw new Unprocessable(problem, { field: 'errorMitigation' });
    }
    // Circuit cutting runs in our engine, on an ideal device, and only within MAX_CUT_SUBEXPERIMENTS
    // (planned here in an engine thread): refused otherwise, never accepted and ignored.
    if (settings.cutToWidth !== null) {
      const label = `${device.provider.name}/${device.name}`;
      if (!device.isLocal || device.noiseModel) {
        throw new Unprocessable(
          `circuit cutting (cutToWidth) runs on the ideal simulators of this service's engine only; device ${label} is ${device.isLocal ? 'a noisy simulator' : 'at a remote provider'}`,
          { field: 'cutToWidth' },
        );
      }
      if (settings.cutToWidth > device.numQubits) {
        throw new Unprocessable(
          `cutToWidth ${settings.cutToWidth} is more than the ${device.numQubits} qubits of device ${label}: fragments must fit the device`,
          { field: 'cutToWidth' },
        );
      }
      if (plannedCut !== cutKey(settings, run.programs)) {
        await this.deployments.planCuts(run.programs, settings.cutToWidth, cutObservables(settings));
      }
    }
    if (!device.isLocal) {
      const problem = this.remote.admissionProblem(device.provider.name, {
        hasToken: token !== undefined,
        type: settings.type,
        shots: settings.shots,
        errorMitigation: settings.errorMitigation,
        seed: settings.seed,
        providerDeviceId: device.providerDeviceId ?? device.name,
      });
      if (problem) throw new Unprocessable(problem.message, { field: problem.field });
    }
    const job = em.create(Job, {
      ...settings,
      id: uuidv7(),
      queueJobId: uuidv7(),
      executedBy: owner,
      executedOn: device,
      deployment,
      deploymentRevision: run.revision,
      createdAt: new Date(),
    });
    // The program rows it runs, whatever happens to the deployment later (docs/decisions/0006).
    for (const program of run.programs) em.create(JobProgram, { job, program });
    // The provider token lives only in transient state (deleted when the job ends), sealed.
    if (token !== undefined) {
      em.create(TransientJobState, { job, data: { [PROVIDER_TOKEN_KEY]: this.providerTokens.seal(job.id, token) } });
    }
    const entry = { jobId: job.id, entryId: job.queueJobId!, options: { group: this.shareGroup(owner) } };
    if (enqueueLater) enqueueLater(entry);
    else await this.queue.enqueue(entry.jobId, em, entry.entryId, entry.options);
    return job;
  }

  /**
   * The fair-share group of a job (docs/decisions/0004-fair-scheduling.md): its owner; with auth on,
   * the public jobs of anonymous callers share one group. In open mode (one user, no owners) none.
   */
  private shareGroup(owner: string | null): string | null {
    if (owner !== null) return `user:${owner}`;
    return this.config.auth.jwtSecret || this.config.auth.jwksUrl ? 'public' : null;
  }

  /** Answers 422 for a job that cannot run: an offline device, or a program in a language it does not accept. */
  private checkRunnable(programs: QuantumProgram[], device: Device): void {
    if (device.status !== 'online') {
      throw new Unprocessable(`device ${device.provider.name}/${device.name} is offline`, { field: 'deviceId' });
    }
    const accepted = device.provider.supportedLanguages;
    programs.forEach((program, programIndex) => {
      if (!accepted.includes(program.assemblerLanguage)) {
        throw new Unprocessable(
          `program ${programIndex} is written in ${program.assemblerLanguage}, which device ${device.provider.name}/${device.name} does not accept (it accepts ${accepted.join(', ')})`,
          { programIndex, field: 'deploymentId' },
        );
      }
    });
  }

  /**
   * Cancels a job that has not ended: a READY one leaves the queue; a RUNNING one is stopped by its
   * worker; one at a remote provider is canceled there first, and ends CANCELED only when the provider
   * accepts (a provider that refuses, e.g. because the job has just ended there, gives a 409 with its reason).
   */
  async cancel(user: Principal, id: string): Promise<Job> {
    assertCanChange(user, (await this.get(user, id)).executedBy, 'job', id, 'cancel');
    const { handle, sealedToken } = await this.remoteState(id);
    if (handle) {
      const answer = await this.remote.cancel(id, handle, sealedToken);
      if (!answer.canceled) {
        throw new Conflict(`job ${id} could not be canceled at ${handle.type}: ${answer.reason}`);
      }
    }
    const outcome = await this.mutate(id, async (job, em) => {
      const wasReady = job.state === 'READY' || job.state === 'BLOCKED';
      if (!job.cancel()) return false;
      await this.deleteTransientState(job, em);
      if (wasReady && job.queueJobId) await this.queue.remove(job.queueJobId, em);
      return true;
    });
    const { job, applied } = outcome!;
    if (!applied) throw new Conflict(`job ${id} has already ended (${job.state}) and cannot be canceled`);
    return job;
  }

  /** Replaces the tags of a job (any state); who may: as for cancel and delete (owners and admins; public jobs: admins). */
  async setTags(user: Principal, id: string, tags: string[]): Promise<Job> {
    assertCanChange(user, (await this.get(user, id)).executedBy, 'job', id, 'change the tags of');
    const outcome = await this.mutate(
      id,
      (job) => {
        job.tags = [...tags];
        return true;
      },
      { quiet: true },
    );
    return outcome!.job;
  }

  async delete(user: Principal, id: string): Promise<void> {
    assertCanChange(user, (await this.get(user, id)).executedBy, 'job', id, 'delete');
    // A job at a cloud provider stops there first (a provider out of reach: 503, nothing deleted).
    await this.cancelAtProvider(id);
    await this.withLockRetry(async () => {
      await this.em.fork().transactional(async (em) => {
        const job = await em.findOne(Job, id);
        if (!job) return;
        if (!job.isTerminal && job.queueJobId) await this.queue.remove(job.queueJobId, em);
        em.remove(job);
      });
    });
  }

  /**
   * Deletes the jobs of a deployment that the user may change: an admin all of them, a user their own
   * (an anonymous caller owns none). Public jobs are left to admins and counted as `skipped`, not
   * refused: a user cleaning up their jobs on a shared deployment should not need to pick them out.
   */
  async deleteByDeployment(user: Principal, deploymentId: string): Promise<{ deleted: number; skipped: number }> {
    await this.deployments.assertVisible(user, deploymentId);
    const mine: FilterQuery<Job> = { deployment: deploymentId, ...(!user.isAdmin && { executedBy: user.userId }) };
    const may = user.isAdmin || user.userId !== null;
    // Its jobs at cloud providers stop there first, outside the transaction (a provider out of reach:
    // 503, nothing deleted).
    if (may) {
      const remote = await this.em.fork().find(Job, { ...mine, state: 'RUNNING', providerSpecificId: { $ne: null } });
      for (const job of remote) await this.cancelAtProvider(job.id);
    }
    return this.em.fork().transactional(async (em) => {
      const jobs = may ? await em.find(Job, mine) : [];
      for (const job of jobs) {
        if (!job.isTerminal && job.queueJobId) await this.queue.remove(job.queueJobId, em);
        em.remove(job);
      }
      const skipped = user.isAdmin ? 0 : await em.count(Job, { deployment: deploymentId, executedBy: null });
      return { deleted: jobs.length, skipped };
    });
  }

  /**
   * A new job with the same deployment, programs, device and settings: it runs the revision the
   * original ran (its deploymentRevision), even when the deployment was replaced since; a new
   * submission runs the current one. The deployment must still exist and be visible. It keeps the
   * owner of an owned job (only its owner or an admin can see that job); a rerun of a public job
   * belongs to whoever starts it (it stays public when that is an anonymous caller), as a new
   * submission would, so that they can cancel and delete it.
   */
  async rerun(user: Principal, id: string, changes: { shots?: number; deviceId?: string } = {}): Promise<Job> {
    const original = await this.get(user, id);
    if (changes.shots !== undefined && changes.shots > this.config.maxShots) {
      throw new Unprocessable(`shots must not be greater than ${this.config.maxShots}`, { field: 'shots' });
    }
    if (!original.deployment) throw new Conflict(`job ${id} cannot be run again: its deployment was deleted`);
    // Its cut planned before the transaction, on the original's programs (immutable rows), as in create.
    const planned = original.cutToWidth
      ? await this.planCutAhead(
          {
            cutToWidth: original.cutToWidth,
            type: original.type,
            observables: original.observables ?? null,
          },
          await this.programsOf(original.id, this.em.fork()),
        )
      : undefined;
    return this.em.transactional(async (em) => {
      const deployment = await this.deployments.get(user, original.deployment!.id, em, { lock: 'share' });
      // The original's programs, locked (FOR SHARE) so that a concurrent delete of the original job
      // waits and they cannot be cleaned up before this job refers to them too.
      const programs = await this.programsOf(original.id, em, true);
      const run =
        programs.length > 0
          ? { revision: original.deploymentRevision ?? deployment.revision, programs }
          : { revision: deployment.revision, programs: deployment.programs.getItems() };
      const device = await this.devices.getDevice(changes.deviceId ?? original.executedOn.id, em);
      const settings: JobSettings = {
        name: original.name ?? null,
        shots: changes.shots ?? original.shots,
        type: original.type,
        errorMitigation: original.errorMitigation,
        cutToWidth: original.cutToWidth ?? null,
        seed: original.seed ?? null,
        observables: original.observables ?? null,
        tags: [...(original.tags ?? [])],
      };
      return this.submit(
        em,
        deployment,
        run,
        device,
        original.executedBy ?? user.userId,
        settings,
        undefined,
        undefined,
        planned,
      );
    });
  }

  // ---- the workers' side ----

  /**
   * READY -> RUNNING, and what the worker needs to execute the job: its device, its programs in
   * order and its settings. Null when the job is gone or was canceled meanwhile.
   */
  async start(jobId: string): Promise<JobRun | null> {
    const outcome = await this.mutate(jobId, (job) => job.start(), {
      ifMissing: 'null',
      populate: ['executedOn.provider'],
    });
    if (!outcome?.applied) return null;
    return this.toRun(outcome.job);
  }

  /**
   * start() for a job taken from the queue as `entryId`, within its owner's fair share: READY -> RUNNING
   * unless the owner already has MAX_RUNNING_JOBS_PER_USER RUNNING jobs (any process). The check and
   * the start are one transaction under an advisory lock of the owner, so two workers that took two
   * jobs of one owner at the same moment cannot both start them beyond the limit. A RUNNING job (a
   * retry after its worker died) already holds its share and starts again.
   */
  async startWithinShare(jobId: string, entryId: string): Promise<ShareStart> {
    return this.starts.submit({ jobId, entryId });
  }

  /**
   * Group commit of the starts that workers ask for while one is being written (docs/benchmarks.md,
   * "End-to-end throughput"): one transaction moves them all READY -> RUNNING, their rows locked FOR
   * UPDATE first (MikroORM checks the versions of a batch with a SELECT, which would not hold off a
   * concurrent writer by itself), and one query reads their programs. A job that needs the fair-share
   * check under its owner's lock, is missing, or anything that fails the batch, goes alone.
   */
  private readonly starts = new GroupCommit<{ jobId: string; entryId: string }, ShareStart>(GROUP_COMMIT_MAX, (items) =>
    this.startTogether(items),
  );

  private async startTogether(items: { jobId: string; entryId: string }[]): Promise<ShareStart[]> {
    if (items.length === 1 || new Set(items.map((i) => i.jobId)).size !== items.length) {
      return Promise.all(items.map((i) => this.startOne(i.jobId, i.entryId)));
    }
    const limit = this.config.maxRunningJobsPerUser;
    // Per item: its verdict, 'started', or null when it goes alone (startOne) after the batch.
    let verdicts: (ShareStart | 'started' | null)[];
    let started: Job[];
    try {
      [verdicts, started] = await this.em.fork().transactional(async (em) => {
        const byId = await lockJobs(
          em,
          items.map((i) => i.jobId),
        );
        const out: Job[] = [];
        const verdicts = items.map((item): ShareStart | 'started' | null => {
          const job = byId.get(item.jobId);
          if (!job) return null;
          if (job.isTerminal) return { kind: 'not-runnable' };
          if (job.queueJobId !== item.entryId) return { kind: 'stale-entry' };
          if (limit > 0 && this.shareGroup(job.executedBy ?? null) !== null && job.state === 'READY') return null;
          if (!job.start()) return { kind: 'not-runnable' };
          out.push(job);
          return 'started';
        });
        if (out.length > 0) await em.populate(out, ['executedOn.provider']);
        return [verdicts, out] as const;
      });
    } catch {
      return Promise.all(items.map((i) => this.startOne(i.jobId, i.entryId)));
    }
    const programs = await this.programsOfMany(
      started.map((j) => j.id),
      this.em.fork(),
    );
    const runs = new Map(started.map((j) => [j.id, this.toRunWith(j, programs.get(j.id) ?? [])]));
    return Promise.all(
      items.map((item, i) => {
        const v = verdicts[i];
        if (v === null) return this.startOne(item.jobId, item.entryId);
        return v === 'started' ? { kind: 'started' as const, run: runs.get(item.jobId)! } : v;
      }),
    );
  }

  private async startOne(jobId: string, entryId: string): Promise<ShareStart> {
    let verdict: ShareStart = { kind: 'not-runnable' };
    const limit = this.config.maxRunningJobsPerUser;
    const outcome = await this.mutate(
      jobId,
      async (job, em) => {
        if (job.isTerminal) return false;
        if (job.queueJobId !== entryId) {
          verdict = { kind: 'stale-entry' };
          return false;
        }
        const owner = job.executedBy ?? null;
        const group = this.shareGroup(owner);
        if (limit > 0 && group !== null && job.state === 'READY') {
          await em
            .getConnection()
            .execute(
              'select pg_advisory_xact_lock(?, hashtext(?))',
              [SHARE_LOCK, group],
              'get',
              em.getTransactionContext(),
            );
          const running = await em.count(Job, { state: 'RUNNING', executedBy: owner, id: { $ne: job.id } });
          if (running >= limit) {
            verdict = { kind: 'over-share', running, limit };
            return false;
          }
        }
        return job.start();
      },
      { ifMissing: 'null', quiet: true, populate: ['executedOn.provider'] },
    );
    if (!outcome?.applied) return verdict;
    return { kind: 'started', run: await this.toRun(outcome.job) };
  }

  /**
   * Puts a READY job that a worker took (as `entry`) back in the queue without spending a retry: a
   * new entry, due in `delaySeconds`, replaces the taken one, which ends; one transaction. False when
   * the job no longer waits on that entry (canceled, deleted, started elsewhere).
   */
  async handBack(jobId: string, entry: QueueEntry, delaySeconds: number): Promise<boolean> {
    const outcome = await this.mutate(
      jobId,
      async (job, em) => {
        if (job.state !== 'READY' || job.queueJobId !== entry.id) return false;
        job.queueJobId = uuidv7();
        await this.queue.enqueue(job.id, em, job.queueJobId, {
          group: this.shareGroup(job.executedBy ?? null),
          startAfterSeconds: delaySeconds,
        });
        await this.queue.finish(entry, em);
        return true;
      },
      { ifMissing: 'null', quiet: true },
    );
    return outcome?.applied ?? false;
  }

  private async toRun(job: Job): Promise<JobRun> {
    return this.toRunWith(job, await this.programsOf(job.id, this.em.fork()));
  }

  private toRunWith(job: Job, programs: QuantumProgram[]): JobRun {
    const device = job.executedOn;
    return {
      jobId: job.id,
      attempts: job.attempts,
      device: {
        id: device.id,
        providerName: device.provider.name,
        name: device.name,
        numQubits: device.numQubits,
        acceptedLanguages: device.provider.supportedLanguages,
        isLocal: device.isLocal,
        providerDeviceId: device.providerDeviceId ?? null,
        noiseModel: device.noiseModel ?? null,
      },
      programs: programs.map((p) => ({
        id: p.id,
        position: p.position,
        language: p.assemblerLanguage,
        source: p.quantumCircuit,
      })),
      settings: {
        shots: job.shots,
        seed: job.seed ?? null,
        type: job.type,
        observables: job.observables ?? null,
        errorMitigation: job.errorMitigation,
        cutToWidth: job.cutToWidth ?? null,
      },
    };
  }

  /**
   * The programs a job runs, in order: those it was submitted with (its JobProgram rows), whatever
   * became of its deployment since. With `lock`, the links are read FOR SHARE in `em`'s transaction.
   */
  private async programsOf(jobId: string, em: EntityManager, lock = false): Promise<QuantumProgram[]> {
    if (!lock) {
      // The worker's path (every job start): links and programs in one query.
      const joined = await em.find(
        JobProgram,
        { job: jobId },
        { populate: ['program'], orderBy: { program: { position: 'asc' } } },
      );
      return joined.map((l) => l.program);
    }
    const links = await em.find(JobProgram, { job: jobId }, { lockMode: LockMode.PESSIMISTIC_READ });
    if (links.length === 0) return [];
    return em.find(QuantumProgram, { id: { $in: links.map((l) => l.program.id) } }, { orderBy: { position: 'asc' } });
  }

  /** The programs of several jobs (as programsOf, without a lock), in one query. */
  private async programsOfMany(jobIds: string[], em: EntityManager): Promise<Map<string, QuantumProgram[]>> {
    const out = new Map<string, QuantumProgram[]>();
    if (jobIds.length === 0) return out;
    const joined = await em.find(
      JobProgram,
      { job: { $in: jobIds } },
      { populate: ['program'], orderBy: { program: { position: 'asc' } } },
    );
    for (const l of joined) {
      const id = l.job.id;
      if (!out.has(id)) out.set(id, []);
      out.get(id)!.push(l.program);
    }
    return out;
  }

  async updateProgress(jobId: string, progress: number): Promise<boolean> {
    const outcome = await this.mutate(jobId, (job) => job.updateProgress(progress), { ifMissing: 'null', quiet: true });
    return outcome?.applied ?? false;
  }

  /**
   * saveResults: results appended, progress 100, state (FINISHED), transient state deleted; one commit.
   * A distribution larger than RESULT_INLINE_ENTRIES keeps its most probable entries inline and is
   * stored whole (up to MAX_RESULT_ENTRIES) in result_data chunks, in the same commit (result-data.ts).
   */
  async saveResults(
    jobId: string,
    results: ResultInput[],
    state: JobState = 'FINISHED',
    entry?: QueueEntry,
  ): Promise<MutationOutcome> {
    const limits: ResultLimits = {
      inlineEntries: this.config.resultInlineEntries,
      maxEntries: this.config.maxResultEntries,
    };
    // Shaped once, outside the transaction: a retry after a lost optimistic lock reuses the work.
    // A result the engine sorted and chunked in its thread (`sorted`) costs O(chunks) here.
    const shaped = results.map((r) => ({ input: r, ...shapeResult(r, limits) }));
    // Results stored in chunks go alone (their own flushes); the others join a group commit.
    if (shaped.some((r) => r.stored)) return this.saveShaped({ jobId, shaped, state, entry });
    return this.saves.submit({ jobId, shaped, state, entry });
  }

  /**
   * Group commit of the saveResults that workers ask for while one is being written: one transaction
   * stores them all (rows locked FOR UPDATE first, as in startTogether), one DELETE of their transient
   * state, one flush. A missing job, or anything that fails the batch, goes alone.
   */
  private readonly saves = new GroupCommit<ShapedSave, MutationOutcome>(GROUP_COMMIT_MAX, (items) =>
    this.saveTogether(items),
  );

  private async saveTogether(items: ShapedSave[]): Promise<MutationOutcome[]> {
    if (items.length === 1 || new Set(items.map((i) => i.jobId)).size !== items.length) {
      return Promise.all(items.map((i) => this.saveShaped(i)));
    }
    let outcomes: (MutationOutcome | null)[];
    try {
      outcomes = await this.em.fork().transactional(async (em) => {
        const byId = await lockJobs(
          em,
          items.map((i) => i.jobId),
        );
        const ended: string[] = [];
        const outcomes = items.map((item): MutationOutcome | null => {
          const job = byId.get(item.jobId);
          if (!job) return null;
          const applied = job.saveResults(this.newResults(item, em), item.state);
          if (applied) ended.push(job.id);
          return { job, applied };
        });
        if (ended.length > 0) await em.nativeDelete(TransientJobState, { job: { $in: ended } });
        // The workers' queue entries end in the same commit (whatever the jobs' outcomes).
        await this.queue.finishMany(entriesOf(items), em);
        return outcomes;
      });
      settle(items);
    } catch {
      return Promise.all(items.map((i) => this.saveShaped(i)));
    }
    return Promise.all(items.map((item, i) => outcomes[i] ?? this.saveShaped(item)));
  }

  private newResults({ shaped }: ShapedSave, em: EntityManager) {
    return shaped.map(({ input, data, meta }) => ({
      resultType: input.resultType,
      data,
      meta,
      program: input.programId ? em.getReference(QuantumProgram, input.programId) : null,
    }));
  }

  private async saveShaped(item: ShapedSave): Promise<MutationOutcome> {
    const { jobId, shaped, state } = item;
    const outcome = (await this.mutate(jobId, async (job, em) => {
      await this.queue.finishMany(entriesOf([item]), em);
      const applied = job.saveResults(this.newResults(item, em), state);
      if (!applied) return false;
      await this.deleteTransientState(job, em);
      const added = job.results.getItems(false);
      const large = shaped.flatMap(({ data, stored }) => {
        if (!stored) return [];
        const result = added.find((r) => r.data === data);
        if (!result) throw new Error(`job ${jobId}: the result to store ${stored.count} entries of is missing`);
        result.dataEntries = stored.count;
        return [{ result, stored }];
      });
      if (large.length === 0) return true;
      // The result rows first (their chunks refer to them): the job's one flush, with its events.
      await em.flush();
      // Then the chunks, in the same transaction: one INSERT each with bound parameters (no SQL
      // text with the entries inlined), each chunk's JSON written just before it is sent, so the
      // event loop runs between chunks.
      const db = em.getKysely<ResultDataTable>();
      for (const { result, stored } of large) {
        for (let i = 0, n = chunkCount(stored); i < n; i++) {
          const c = chunkOf(stored, i);
          await db
            .insertInto('result_data')
            .values({
              result_id: result.id,
              chunk: c.chunk,
              first_entry: c.firstEntry,
              entry_count: c.entryCount,
              entries: c.entries,
            })
            .execute();
        }
      }
      return true;
    }))!;
    settle([item]);
    return outcome;
  }

  /** saveError: an ERROR result with message and stack, state ERROR, transient state deleted; one commit. */
  async saveError(
    jobId: string,
    error: { message: string; stack?: string },
    failure: JobFailure = {},
  ): Promise<MutationOutcome> {
    return (await this.mutate(jobId, async (job, em) => {
      const program = failure.programId ? em.getReference(QuantumProgram, failure.programId) : null;
      const applied = job.saveError(error, program, failure.data, failure.meta);
      if (applied) await this.deleteTransientState(job, em);
      return applied;
    }))!;
  }

  /** A RUNNING job whose worker stopped (shutdown) goes back to READY (the queue retries it). */
  async requeue(jobId: string): Promise<boolean> {
    const outcome = await this.mutate(jobId, (job) => job.requeue(), { ifMissing: 'null' });
    return outcome?.applied ?? false;
  }

  /**
   * A job whose queue entry ran out of retries because its workers kept dying ends in ERROR, saying
   * how many times. Null when the job is gone; `applied` false when it had ended anyway.
   */
  async endAfterWorkerDeaths(jobId: string): Promise<MutationOutcome | null> {
    return this.mutate(
      jobId,
      async (job, em) => {
        const times = Math.max(1, job.attempts);
        const message = `the worker died ${times} time${times === 1 ? '' : 's'} while running this job (its heartbeat stopped), and no retries are left`;
        const applied = job.saveError({ message }, null, { attempts: job.attempts, reason: 'worker-died' });
        if (applied) await this.deleteTransientState(job, em);
        return applied;
      },
      { ifMissing: 'null', quiet: true },
    );
  }

  /** RUNNING jobs with a queue entry, oldest first: what the sweep for jobs nobody will finish looks at. */
  async findRunning(limit: number): Promise<{ jobId: string; queueJobId: string; attempts: number }[]> {
    const jobs = await this.em
      .fork()
      .find(
        Job,
        { state: 'RUNNING', queueJobId: { $ne: null } },
        { fields: ['id', 'queueJobId', 'attempts'], orderBy: { startedAt: 'asc' }, limit },
      );
    return jobs.map((j) => ({ jobId: j.id, queueJobId: j.queueJobId!, attempts: j.attempts }));
  }

  // ---- jobs at remote providers ----

  /**
   * Cancels a job at its provider before it is deleted, if it is there. A provider that refuses
   * (the job has ended there) does not stop the deletion; one out of reach does (the HTTP error).
   */
  private async cancelAtProvider(jobId: string): Promise<void> {
    const { handle, sealedToken } = await this.remoteState(jobId);
    if (!handle) return;
    const answer = await this.remote.cancel(jobId, handle, sealedToken);
    if (!answer.canceled) this.logger.log(`job ${jobId}: left as it is at ${handle.type} (${answer.reason})`);
  }

  /** What a job at a remote provider was given there (its stored handle) and its sealed token, if any. */
  async remoteState(jobId: string): Promise<{ handle: StoredRemoteHandle | null; sealedToken: unknown }> {
    let handle: StoredRemoteHandle | null = null;
    let sealedToken: unknown = null;
    for (const state of await this.getTransientState(jobId)) {
      if (REMOTE_HANDLE_KEY in state.data) handle ??= state.data[REMOTE_HANDLE_KEY] as StoredRemoteHandle;
      if (PROVIDER_TOKEN_KEY in state.data) sealedToken ??= state.data[PROVIDER_TOKEN_KEY];
    }
    return { handle, sealedToken };
  }

  /**
   * A RUNNING job as a worker executes it (for following it at its provider), without starting it
   * again; null unless it is RUNNING and waits on queue entry `entryId`.
   */
  async runOf(jobId: string, entryId: string): Promise<JobRun | null> {
    const job = await this.em.fork().findOne(Job, jobId, { populate: ['executedOn.provider'] });
    return job && job.state === 'RUNNING' && job.queueJobId === entryId ? this.toRun(job) : null;
  }

  /**
   * Records that the provider took the job (`handle`, in transient state, and providerSpecificId) and
   * schedules the first look at it as follow entry `next`, ending `entry` (whose worker is then free):
   * one transaction, so the provider's ids are stored before anything else can fail. False when the job
   * no longer waits on `entry` (canceled, deleted, or taken over): the caller cancels it at the provider.
   */
  async recordSubmission(
    jobId: string,
    entry: QueueEntry,
    handle: StoredRemoteHandle,
    next: { entryId: string; afterSeconds: number },
  ): Promise<boolean> {
    const outcome = await this.mutate(
      jobId,
      async (job, em) => {
        if (job.queueJobId !== entry.id || !job.recordSubmission(handle.providerIds)) return false;
        em.create(TransientJobState, { job, data: { [REMOTE_HANDLE_KEY]: handle } });
        await this.followNext(job, em, entry, next, { polls: 0, unavailableSince: null });
        return true;
      },
      { ifMissing: 'null', quiet: true },
    );
    return outcome?.applied ?? false;
  }

  /**
   * Records what the provider says of a RUNNING job (queued at a position, or running with progress),
   * if anything, and schedules the next look as follow entry `next`, ending `entry`: one transaction.
   * False when the job no longer waits on `entry` (it ended, or another entry follows it).
   */
  async scheduleFollow(
    jobId: string,
    entry: QueueEntry,
    next: { entryId: string; afterSeconds: number; state: FollowState },
    status?: { state: 'queued' | 'running'; queuePosition: number | null; progress?: number },
  ): Promise<boolean> {
    const outcome = await this.mutate(
      jobId,
      async (job, em) => {
        if (job.state !== 'RUNNING' || job.queueJobId !== entry.id) return false;
        if (status) job.followRemote(status.state, status.queuePosition, status.progress);
        await this.followNext(job, em, entry, next, next.state);
        return true;
      },
      { ifMissing: 'null', quiet: true },
    );
    return outcome?.applied ?? false;
  }

  /** The job waits on follow entry `next` from now on; `entry` ends (same transaction). */
  private async followNext(
    job: Job,
    em: EntityManager,
    entry: QueueEntry,
    next: { entryId: string; afterSeconds: number },
    state: FollowState,
  ): Promise<void> {
    job.queueJobId = next.entryId;
    await this.queue.enqueueFollow(job.id, em, next.entryId, next.afterSeconds, state);
    await this.queue.finish(entry, em);
  }

  /**
   * A job the provider canceled (or confirmed canceled): CANCELED, its results so far kept. Ignored
   * for a job that has ended.
   */
  async canceledByProvider(jobId: string): Promise<MutationOutcome | null> {
    return this.mutate(
      jobId,
      async (job, em) => {
        if (!job.cancel()) return false;
        await this.deleteTransientState(job, em);
        return true;
      },
      { ifMissing: 'null', quiet: true },
    );
  }

  /**
   * Transient state (qunicorn-core's TransientJobState): data a job keeps only while it runs, such as
   * its sealed provider token (ProviderTokens) that a remote backend opens at submission, or the
   * state of circuit fragments; deleted when the job ends.
   */
  async getTransientState(jobId: string, q: TransientStateQuery = {}): Promise<TransientJobState[]> {
    const where: FilterQuery<TransientJobState> = {
      job: jobId,
      ...(q.program !== undefined && { program: q.program }),
      ...(q.circuitFragmentId !== undefined && { circuitFragmentId: q.circuitFragmentId }),
    };
    const states = await this.em.fork().find(TransientJobState, where, { orderBy: { id: 'asc' } });
    const filter = q.filter;
    if (!filter) return states;
    return states.filter((s) =>
      Object.entries(filter).every(([k, v]) => JSON.stringify(s.data[k]) === JSON.stringify(v)),
    );
  }

  /** The value under `key` of the first matching transient state, or `fallback`. */
  async getTransientStateKey<T>(jobId: string, key: string, fallback: T, q: TransientStateQuery = {}): Promise<T> {
    for (const state of await this.getTransientState(jobId, q)) {
      if (key in state.data) return state.data[key] as T;
    }
    return fallback;
  }

  async addTransientState(
    jobId: string,
    data: Record<string, unknown>,
    opts: { program?: string | null; circuitFragmentId?: string | null } = {},
  ): Promise<TransientJobState | null> {
    const em = this.em.fork();
    const job = await em.findOne(Job, jobId);
    if (!job || job.isTerminal) return null;
    const state = em.create(TransientJobState, {
      job,
      program: opts.program ? em.getReference(QuantumProgram, opts.program) : null,
      circuitFragmentId: opts.circuitFragmentId ?? null,
      data,
    });
    await em.flush();
    return state;
  }

  /**
   * One unit of work on one job, in its own transaction, retried when a concurrent change of the same
   * job wins the optimistic lock. A move the job cannot make (it is terminal) changes nothing and is
   * logged, unless `quiet`. A missing job is a 404, or null with `ifMissing: 'null'`.
   */
  private async mutate(
    jobId: string,
    change: (job: Job, em: EntityManager) => boolean | Promise<boolean>,
    opts: { ifMissing?: 'throw' | 'null'; quiet?: boolean; populate?: readonly 'executedOn.provider'[] } = {},
  ): Promise<MutationOutcome | null> {
    return this.withLockRetry(() =>
      this.em.fork().transactional(async (em) => {
        const job = await em.findOne(Job, jobId, { populate: opts.populate ?? [] });
        if (!job) {
          if (opts.ifMissing === 'null') return null;
          throw new NotFound('job', jobId);
        }
        const applied = await change(job, em);
        if (!applied && !opts.quiet) this.logger.log(`job ${jobId} is ${job.state}: change ignored`);
        return { job, applied };
      }),
    );
  }

  /**
   * The transient state of a job that has just ended, deleted with one statement in the caller's
   * transaction (it commits or rolls back with the job's change) instead of being loaded to be removed.
   */
  private async deleteTransientState(job: Job, em: EntityManager): Promise<void> {
    await em.nativeDelete(TransientJobState, { job: job.id });
  }

  private async withLockRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof OptimisticLockError) || attempt >= MAX_LOCK_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }
}

/** Most calls one group commit writes together (startWithinShare, saveResults). */
const GROUP_COMMIT_MAX = 16;

/** A saveResults call whose results are shaped, waiting for its group commit. */
interface ShapedSave {
  jobId: string;
  shaped: (ReturnType<typeof shapeResult> & { input: ResultInput })[];
  state: JobState;
  /** The worker's queue entry, ended in the same commit. */
  entry?: QueueEntry;
}

const entriesOf = (items: ShapedSave[]): QueueEntry[] => items.flatMap((i) => (i.entry ? [i.entry] : []));

/** After the commit that ended them: their queue does not complete them again. */
function settle(items: ShapedSave[]): void {
  for (const i of items) if (i.entry) i.entry.settled = true;
}
