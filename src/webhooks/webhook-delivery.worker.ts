import { EntityManager } from '@mikro-orm/postgresql';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job as BossJob } from 'pg-boss';
import { PeriodicTasks } from '../common/periodic-tasks';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DomainEventBus } from '../events/domain-event-bus';
import type { AnyDomainEvent } from '../events/domain-events';
import { PgBossQueue } from '../queue/pg-boss.queue';
import { checkWebhookUrl } from './webhook-address';
import { Webhook, WebhookAttempt, WebhookDelivery } from './webhook.entity';
import { postOnce, succeeded, type SendOutcome } from './webhook-sender';
import { signatureHeader } from './webhook-signature';
import { WebhookSecrets } from './webhook-secrets';

/** The pg-boss queue of webhook drains: one entry = "deliver what is due for webhook X, in order". */
export const WEBHOOKS_QUEUE = 'qunest-webhooks';
/** Deliveries one drain makes before it hands over to a fresh entry (bounds an entry's run time). */
const DELIVERIES_PER_DRAIN = 20;
const SWEEP_MS = 5_000;
/** How long "there is no webhook at all" is believed before it is checked again. */
const NO_WEBHOOKS_TTL_MS = 1_000;
const SWEEP_TASK = 'webhook deliveries';
const CLEANUP_TASK = 'webhook delivery log cleanup';
const CLEANUP_MS = 3600_000;
/** How long finished deliveries (delivered or failed, with their attempts) stay in the log. */
export const DELIVERY_LOG_DAYS = 7;

interface DrainData {
  webhookId: string;
}

/** Delay before retry number `retry` (1 = the first retry): base, then doubling. */
export function retryDelaySeconds(baseSeconds: number, retry: number): number {
  return baseSeconds * 2 ** (retry - 1);
}

/**
 * Delivers webhook events. The deliveries themselves are rows the outbox trigger wrote in the
 * transaction of each change (Migration20261202150000Webhooks), so a committed event always has
 * them, whatever crashes afterwards. This worker moves them through pg-boss:
 *
 * - The queue's policy is `stately` with the webhook id as singleton key: per webhook at most one
 *   drain runs (across all processes) and at most one waits. That makes delivery per webhook
 *   sequential, in outbox order (hence in seq order for each job), and bounds the entries per webhook.
 * - A drain takes the webhook's oldest pending delivery; when it is due it POSTs it (signed), logs the
 *   attempt, and goes on to the next; a failed attempt is retried after WEBHOOK_RETRY_BASE_SECONDS,
 *   doubling, and holds back the later deliveries of that webhook meanwhile (a new drain entry with
 *   `startAfter`); after WEBHOOK_MAX_ATTEMPTS attempts the delivery is marked failed and the next one goes.
 * - Drains are sent when the bus announces a committed event that has deliveries, after every failed
 *   attempt (deferred), and by a sweep every 5 s and at start, which finds pending deliveries whose
 *   announcement was lost (a process that died between commit and send, a lost listener connection).
 *
 * At least once: a delivery is marked delivered only after a 2xx answer; a crash in between sends it again
 * (same Qunest-Delivery id, so receivers can drop duplicates).
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private unsubscribe?: () => void;
  private workerId?: string;
  private working = false;
  /** When the webhook table was last seen empty (0: not known to be empty). */
  private emptySince = 0;
  /** The look for any webhook in flight while none is known to exist: a burst of events shares it. */
  private emptyCheck: Promise<boolean> | null = null;
  private anyKnown = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly em: EntityManager,
    private readonly queue: PgBossQueue,
    private readonly bus: DomainEventBus,
    private readonly periodic: PeriodicTasks,
    private readonly secrets: WebhookSecrets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const boss = this.queue.boss;
    const options = {
      // A drain that throws (the database went away) is tried again; delivery failures are not
      // thrown: they are retried by the drain itself, with the webhook's order kept.
      retryLimit: 10,
      retryDelay: 5,
      // A drain whose process died is noticed by its missing heartbeat (pg-boss refreshes it while the
      // handler runs) and retried; the expiry only bounds a handler that never returns.
      heartbeatSeconds: this.config.jobHeartbeatSeconds,
      expireInSeconds: 600,
      retentionSeconds: 24 * 3600,
      deleteAfterSeconds: 3600,
    };
    await boss.createQueue(WEBHOOKS_QUEUE, { policy: 'stately', ...options });
    await boss.updateQueue(WEBHOOKS_QUEUE, options);
    this.working = true;
    this.workerId = await boss.work<DrainData>(
      WEBHOOKS_QUEUE,
      { batchSize: 1, localConcurrency: 4, pollingIntervalSeconds: 1 },
      async (batch: BossJob<DrainData>[]) => {
        for (const job of batch) if (typeof job.data?.webhookId === 'string') await this.drain(job.data.webhookId);
      },
    );
    this.unsubscribe = this.bus.subscribe((e) => this.onEvent(e));
    this.periodic.every(SWEEP_TASK, SWEEP_MS, () => this.sweep(), { runNow: true });
    this.periodic.every(CLEANUP_TASK, CLEANUP_MS, () => this.cleanup());
  }

  /** Drops finished deliveries (and their attempts) older than {@link DELIVERY_LOG_DAYS} days. */
  async cleanup(): Promise<void> {
    await this.em
      .fork()
      .getConnection()
      .execute(
        `delete from "webhook_delivery" where "finished_at" is not null and "finished_at" < now() - make_interval(days => ?)`,
        [DELIVERY_LOG_DAYS],
      );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.working) return;
    this.working = false;
    this.unsubscribe?.();
    this.periodic.cancel(SWEEP_TASK);
    this.periodic.cancel(CLEANUP_TASK);
    await this.queue.boss.offWork(WEBHOOKS_QUEUE, { wait: true }).catch(() => undefined);
  }

  private onEvent(event: AnyDomainEvent): void {
    if (!this.working) return;
    void this.announce(event.id).catch((err: unknown) =>
      this.logger.warn(`could not queue the webhook deliveries of event ${event.id}: ${String(err)}`),
    );
  }

  /**
   * Sends a drain for every webhook with a pending delivery of this event. While there is no webhook
   * at all (checked at most once a second) events cost no query; a delivery whose announcement is
   * skipped in the second after the first webhook appeared is sent by the next sweep.
   */
  private async announce(outboxId: number): Promise<void> {
    const connection = this.em.fork().getConnection();
    if (Date.now() - this.emptySince < NO_WEBHOOKS_TTL_MS) return;
    if (!this.anyKnown) {
      // Not known to exist: one look for the whole burst of events (each event its own look would
      // cost a query an event while there is no webhook at all).
      this.emptyCheck ??= connection
        .execute<{ any: boolean }[]>(`select exists (select 1 from "webhook") as "any"`)
        .then(([{ any }]) => {
          this.emptySince = any ? 0 : Date.now();
          this.anyKnown = any;
          return any;
        })
        .finally(() => (this.emptyCheck = null));
      if (!(await this.emptyCheck)) return;
    }
    const [{ any, ids }] = await connection.execute<{ any: boolean; ids: string[] }[]>(
      `select exists (select 1 from "webhook") as "any",
              array(select distinct "webhook_id" from "webhook_delivery" where "outbox_id" = ? and "state" = 'pending') as "ids"`,
      [outboxId],
    );
    this.emptySince = any ? 0 : Date.now();
    this.anyKnown = any;
    for (const id of ids) await this.schedule(id);
    if (ids.length > 0 && this.workerId) this.queue.boss.notifyWorker(this.workerId);
  }

  /** Finds webhooks with pending deliveries and sends each a drain (refused, harmlessly, when one waits). */
  async sweep(): Promise<void> {
    const rows = await this.em
      .fork()
      .getConnection()
      .execute<{ webhook_id: string; due: Date | string }[]>(
        `select "webhook_id", min("next_attempt_at") as "due" from "webhook_delivery" where "state" = 'pending' group by "webhook_id"`,
      );
    for (const row of rows) await this.schedule(row.webhook_id, new Date(row.due));
  }

  /** A drain entry for the webhook, from `after` on (now when not given). */
  private async schedule(webhookId: string, after?: Date): Promise<void> {
    const startAfter = after && after.getTime() > Date.now() ? after : undefined;
    await this.queue.boss.send(WEBHOOKS_QUEUE, { webhookId } satisfies DrainData, {
      singletonKey: webhookId,
      ...(startAfter && { startAfter }),
    });
  }

  /** Delivers the webhook's due deliveries in outbox order; stops at the first that must wait. */
  async drain(webhookId: string): Promise<void> {
    for (let n = 0; n < DELIVERIES_PER_DRAIN; n++) {
      if (!this.working) return;
      const em = this.em.fork();
      const webhook = await em.findOne(Webhook, { id: webhookId });
      if (!webhook) return; // deleted: its deliveries went with it
      const head = await em.findOne(
        WebhookDelivery,
        { webhook: webhookId, state: 'pending' },
        { orderBy: { outboxId: 'asc' } },
      );
      if (!head) return;
      if (head.nextAttemptAt.getTime() > Date.now()) {
        await this.schedule(webhookId, head.nextAttemptAt);
        return;
      }
      const outcome = await this.attempt(webhook, head);
      const retryAt = await this.record(em, webhook, head, outcome);
      if (retryAt) {
        await this.schedule(webhookId, retryAt);
        return;
      }
    }
    await this.schedule(webhookId); // more may be pending: a fresh entry goes on
  }

  /** One signed POST of a delivery. */
  private async attempt(webhook: Webhook, delivery: WebhookDelivery): Promise<SendOutcome> {
    const { allowPrivate, timeoutSeconds } = this.config.webhooks;
    let url: URL;
    let secret: string;
    try {
      // the address again: what a name resolves to may have changed since the webhook was created
      url = await checkWebhookUrl(webhook.url, { allowPrivate });
      secret = this.secrets.open(webhook.id, webhook.secret);
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err), durationMs: 0 };
    }
    const body = JSON.stringify(delivery.body);
    const headers = {
      'User-Agent': 'Qunest-Webhooks/1',
      'Qunest-Event': delivery.eventName,
      'Qunest-Delivery': delivery.id,
      'Qunest-Signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
    };
    return postOnce(url, body, headers, { timeoutMs: timeoutSeconds * 1000, allowPrivate });
  }

  /**
   * Logs the attempt and moves the delivery on, in one transaction; answers when to retry (null when
   * the delivery is done: delivered or failed for good, or another drain already moved it).
   */
  private async record(
    em: EntityManager,
    webhook: Webhook,
    delivery: WebhookDelivery,
    outcome: SendOutcome,
  ): Promise<Date | null> {
    const { retryBaseSeconds, maxAttempts } = this.config.webhooks;
    const attempt = delivery.attempts + 1;
    const now = new Date();
    const ok = succeeded(outcome);
    const failedForGood = !ok && attempt >= maxAttempts;
    const retryAt =
      ok || failedForGood ? null : new Date(now.getTime() + retryDelaySeconds(retryBaseSeconds, attempt) * 1000);
    const moved = await em.transactional(async (tx) => {
      const changed = await tx.nativeUpdate(
        WebhookDelivery,
        { id: delivery.id, state: 'pending', attempts: delivery.attempts },
        {
          attempts: attempt,
          state: ok ? 'delivered' : failedForGood ? 'failed' : 'pending',
          ...(retryAt ? { nextAttemptAt: retryAt } : { finishedAt: now }),
        },
      );
      if (changed === 0) return false;
      tx.create(WebhookAttempt, {
        webhook: webhook.id,
        delivery: delivery.id,
        attempt,
        at: new Date(now.getTime() - outcome.durationMs),
        eventName: delivery.eventName,
        status: outcome.status ?? null,
        error: outcome.error ?? (ok ? null : `answered ${outcome.status}`),
        durationMs: outcome.durationMs,
        responseBody: outcome.responseBody ?? null,
      });
      return true;
    });
    if (!moved) return null;
    if (failedForGood)
      this.logger.warn(`webhook ${webhook.id}: delivery ${delivery.id} failed after ${attempt} attempts`);
    return retryAt;
  }
}
