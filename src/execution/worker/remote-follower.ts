import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProviderTokens } from '../../auth/provider-tokens';
import { isDatabaseUnavailable } from '../../common/database-errors';
import { uuidv7 } from '../../common/uuid';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { FollowState, QueueEntry } from '../../jobs/job-queue';
import type { JobRun } from '../../jobs/job-run';
import { JobsService } from '../../jobs/jobs.service';
import type { StoredRemoteHandle } from '../../jobs/remote-job-control';
import { BackendRegistry } from '../backends/backend-registry';
import {
  failureOf,
  ProgramFailure,
  type RemoteBackend,
  type RemoteCredentials,
  type RemoteDevice,
  type RemoteStatus,
} from '../backends/quantum-backend';
import { RemoteUnavailable } from '../backends/remote/remote-errors';

/** How long a provider may stay out of reach (or keep asking us to wait) before its job ends in ERROR. */
export const REMOTE_GIVE_UP_MS = 24 * 3600 * 1000;

/**
 * The remote lifecycle of a job (docs/providers.md). The worker that took the job submits it to its
 * provider and records the provider's ids in the same transaction that schedules the first look at
 * it (a delayed follow entry) and ends its own entry: the worker's slot is free while the job waits at
 * the provider. Every follow entry, taken by any process, asks the provider once: queued or running
 * schedules the next look (waits growing from REMOTE_POLL_MIN_SECONDS to REMOTE_POLL_MAX_SECONDS, at
 * least what the provider's Retry-After asks); done fetches the results and saves them; failed and
 * canceled end the job. A job is submitted once: its ids are stored before anything else can fail, a
 * retried start looks for an earlier submission (findSubmitted) before it submits, and the submission
 * is idempotent where the provider allows (Braket's clientToken).
 */
@Injectable()
export class RemoteFollower {
  private readonly logger = new Logger(RemoteFollower.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobsService,
    private readonly registry: BackendRegistry,
    private readonly tokens: ProviderTokens,
  ) {}

  /** The worker's part: submits a started job (`run`, taken as `entry`) to its provider and lets it go. */
  async submit(run: JobRun, backend: RemoteBackend, entry: QueueEntry): Promise<void> {
    await this.trySubmit(run, backend, entry, { polls: 0, unavailableSince: null });
  }

  /** One follow entry: one look at a job at its provider. Returning ends the entry. */
  async follow(entry: QueueEntry): Promise<void> {
    const run = await this.jobs.runOf(entry.jobId, entry.id);
    if (!run) return; // ended (canceled, deleted) or followed by another entry: nothing to do
    const state = entry.follow ?? { polls: 0, unavailableSince: null };
    const backend = this.registry.remote(run.device.providerName);
    if (!backend) {
      await this.end(
        run.jobId,
        new ProgramFailure(`no adapter for provider ${run.device.providerName} is registered here`, null),
      );
      return;
    }
    const { handle, sealedToken } = await this.jobs.remoteState(run.jobId);
    if (!handle) {
      // The provider could not take the job before (out of reach): submit it now.
      await this.trySubmit(run, backend, entry, state);
      return;
    }
    const creds = { token: this.tokens.open(run.jobId, sealedToken) };
    let status: RemoteStatus;
    try {
      status = await backend.poll(handle, creds);
    } catch (err) {
      await this.unavailableOrEnd(run, entry, state, err);
      return;
    }
    switch (status.state) {
      case 'queued':
      case 'running': {
        const next = { entryId: uuidv7(), afterSeconds: this.backoff(state.polls + 1), state: this.answered(state) };
        const seen = {
          state: status.state,
          queuePosition: status.state === 'queued' ? (status.queuePosition ?? null) : null,
          progress: status.state === 'running' && status.progress !== undefined ? status.progress * 100 : undefined,
        };
        await this.jobs.scheduleFollow(run.jobId, entry, next, seen);
        return;
      }
      case 'done':
        await this.finish(run, entry, state, backend, handle, creds);
        return;
      case 'failed': {
        const message = `${handle.type} reports that the job failed: ${status.message}`;
        const { applied } = await this.jobs.saveError(
          run.jobId,
          { message },
          { data: { provider: handle.type, providerIds: handle.providerIds, ...status.data } },
        );
        if (applied) this.logger.log(`job ${run.jobId}: failed at ${handle.type}: ${status.message}`);
        return;
      }
      case 'canceled':
        await this.jobs.canceledByProvider(run.jobId);
        this.logger.log(`job ${run.jobId}: canceled at ${handle.type}`);
        return;
    }
  }

  private async trySubmit(run: JobRun, backend: RemoteBackend, entry: QueueEntry, state: FollowState): Promise<void> {
    const provider = run.device.providerName;
    const { sealedToken } = await this.jobs.remoteState(run.jobId);
    const creds = { token: this.tokens.open(run.jobId, sealedToken) };
    const device = remoteDevice(run);
    const key = submissionKey(run.jobId);
    let handle: StoredRemoteHandle;
    try {
      // A start after a crash (or a submission the provider could not take before) may follow one
      // the provider did take: look for it first, so the job is never submitted twice.
      const earlier = run.attempts > 1 || state.polls > 0 ? await backend.findSubmitted(key, device, creds) : null;
      handle = { type: provider, ...(earlier ?? (await backend.submit(run, device, creds, key))) };
    } catch (err) {
      await this.unavailableOrEnd(run, entry, state, err);
      return;
    }
    const first = { entryId: uuidv7(), afterSeconds: this.backoff(0) };
    if (await this.jobs.recordSubmission(run.jobId, entry, handle, first)) {
      this.logger.log(`job ${run.jobId}: submitted to ${provider} (${handle.providerIds.join(', ')})`);
      return;
    }
    // Canceled or deleted while it was being submitted: it must not run at the provider either.
    this.logger.log(`job ${run.jobId}: ended while being submitted to ${provider}; canceling it there`);
    await backend.cancel(handle, creds).catch((err: unknown) => {
      this.logger.warn(`job ${run.jobId}: could not cancel it at ${provider}: ${String(err)}`);
    });
  }

  private async finish(
    run: JobRun,
    entry: QueueEntry,
    state: FollowState,
    backend: RemoteBackend,
    handle: StoredRemoteHandle,
    creds: RemoteCredentials,
  ): Promise<void> {
    let results;
    try {
      results = await backend.fetchResults(handle, run, creds);
    } catch (err) {
      await this.unavailableOrEnd(run, entry, state, err);
      return;
    }
    const { applied } = await this.jobs.saveResults(
      run.jobId,
      results.flatMap(({ programId, results }) => results.map((r) => ({ programId, ...r }))),
    );
    if (applied) this.logger.log(`job ${run.jobId}: results of ${handle.type} saved`);
  }

  /**
   * A call to the provider failed: out of reach (or asked us to wait) schedules the next look, at
   * least as late as the provider asked, until REMOTE_GIVE_UP_MS; anything else ends the job in ERROR
   * with the provider's words. A database out of reach is left to the queue's retry of the entry.
   */
  private async unavailableOrEnd(run: JobRun, entry: QueueEntry, state: FollowState, err: unknown): Promise<void> {
    if (isDatabaseUnavailable(err)) throw err;
    if (!(err instanceof RemoteUnavailable)) {
      await this.end(run.jobId, err);
      return;
    }
    const since = state.unavailableSince ?? new Date().toISOString();
    if (Date.now() - Date.parse(since) > REMOTE_GIVE_UP_MS) {
      await this.end(
        run.jobId,
        new Error(`${run.device.providerName} has been out of reach since ${since}: ${err.message}`),
      );
      return;
    }
    const waitSeconds = Math.max(this.backoff(state.polls + 1), Math.ceil((err.retryAfterMs ?? 0) / 1000));
    this.logger.warn(`job ${run.jobId}: ${err.message}; asking again in ${waitSeconds} s`);
    const next = {
      entryId: uuidv7(),
      afterSeconds: waitSeconds,
      state: { polls: state.polls + 1, unavailableSince: since },
    };
    await this.jobs.scheduleFollow(run.jobId, entry, next);
  }

  private async end(jobId: string, err: unknown): Promise<void> {
    const { error, failure } = failureOf(err);
    this.logger.warn(`job ${jobId} failed at its provider: ${error.message}`);
    await this.jobs.saveError(jobId, error, failure);
  }

  /** The provider answered: the count of looks goes on, the time out of reach is forgotten. */
  private answered(state: FollowState): FollowState {
    return { polls: state.polls + 1, unavailableSince: null };
  }

  /** The wait before look number `polls`: REMOTE_POLL_MIN_SECONDS doubling up to REMOTE_POLL_MAX_SECONDS. */
  private backoff(polls: number): number {
    const { pollMinSeconds, pollMaxSeconds } = this.config.providers;
    return Math.min(pollMaxSeconds, pollMinSeconds * 2 ** Math.min(polls, 20));
  }
}

/** The key under which a job is submitted, the same for every attempt: the provider's idempotency key. */
export function submissionKey(jobId: string): string {
  return `qunest-${jobId}`;
}

function remoteDevice(run: JobRun): RemoteDevice {
  const { name, providerDeviceId, numQubits } = run.device;
  return { name, providerDeviceId: providerDeviceId ?? name, numQubits };
}
