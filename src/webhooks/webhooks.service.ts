import { EntityManager } from '@mikro-orm/postgresql';
import { BadRequestException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { NotFound, Unprocessable } from '../common/errors';
import type { PageQueryDto } from '../common/paging';
import { isUuid, uuidv7 } from '../common/uuid';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { CreateWebhookDto } from './dto/webhook.dto';
import { checkWebhookUrl, WebhookUrlError } from './webhook-address';
import { Webhook, WebhookAttempt } from './webhook.entity';
import { ALL_EVENTS } from './webhook-events';
import { newWebhookSecret, WebhookSecrets } from './webhook-secrets';

/** Most webhooks one owner may hold: each one is a row the outbox trigger matches every event against. */
export const MAX_WEBHOOKS_PER_OWNER = 25;

/**
 * Webhook subscriptions: create (the secret answered once), list, delete, and the delivery log.
 * A webhook belongs to its creator; only they (and admins) see it. A user's webhook receives the
 * events of public rows and the user's own; an admin's receives every row's (`allRows`). Deliveries
 * are made by the outbox trigger and the WebhookDeliveryWorker, not here.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly em: EntityManager,
    private readonly secrets: WebhookSecrets,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(principal: Principal, dto: CreateWebhookDto): Promise<{ webhook: Webhook; secret: string }> {
    if (principal.userId === null && !principal.isAdmin)
      throw new ForbiddenException('anonymous callers cannot create webhooks: send a token');
    let url: URL;
    try {
      url = await checkWebhookUrl(dto.url, { allowPrivate: this.config.webhooks.allowPrivate });
    } catch (err) {
      if (!(err instanceof WebhookUrlError)) throw err;
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: err.message,
        errors: [{ field: 'url', message: err.message }],
      });
    }
    const owned = await this.em.count(Webhook, { ownerId: principal.userId });
    if (owned >= MAX_WEBHOOKS_PER_OWNER)
      throw new Unprocessable(`at most ${MAX_WEBHOOKS_PER_OWNER} webhooks per user: delete one first`);
    const events = dto.events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...dto.events];
    const id = uuidv7();
    const secret = newWebhookSecret();
    const webhook = this.em.create(Webhook, {
      id,
      ownerId: principal.userId,
      allRows: principal.isAdmin,
      url: url.toString(),
      events,
      secret: this.secrets.seal(id, secret),
      createdAt: new Date(),
    });
    await this.em.flush();
    return { webhook, secret };
  }

  /** The caller's webhooks, newest first; an admin's list holds everyone's. */
  async list(principal: Principal, q: PageQueryDto): Promise<[Webhook[], number]> {
    if (principal.userId === null && !principal.isAdmin) return [[], 0];
    const where = principal.isAdmin ? {} : { ownerId: principal.userId };
    return this.em.findAndCount(Webhook, where, { orderBy: { id: 'desc' }, limit: q.limit, offset: q.offset });
  }

  /** A webhook the caller may see (its owner, or an admin); others' answer 404 like unknown ones. */
  async get(principal: Principal, id: string): Promise<Webhook> {
    const webhook = isUuid(id) ? await this.em.findOne(Webhook, { id }) : null;
    if (!webhook || !(principal.isAdmin || (principal.userId !== null && webhook.ownerId === principal.userId)))
      throw new NotFound('webhook', id);
    return webhook;
  }

  /** Deletes the webhook with its pending deliveries and its log: nothing more is sent to it. */
  async delete(principal: Principal, id: string): Promise<void> {
    const webhook = await this.get(principal, id);
    await this.em.nativeDelete(Webhook, { id: webhook.id });
  }

  /** The delivery log: every attempt, newest first. */
  async attempts(principal: Principal, id: string, q: PageQueryDto): Promise<[WebhookAttempt[], number]> {
    const webhook = await this.get(principal, id);
    return this.em.findAndCount(
      WebhookAttempt,
      { webhook },
      { populate: ['delivery'], orderBy: { at: 'desc', id: 'desc' }, limit: q.limit, offset: q.offset },
    );
  }
}
