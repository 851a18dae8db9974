import { Module } from '@nestjs/common';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookSecrets } from './webhook-secrets';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Signed webhooks (docs/webhooks.md): subscriptions, their secrets, and the delivery worker. The
 * worker (pg-boss consumer of the webhook drains) runs where queue workers run: `npm run worker`
 * always, `npm start` unless RUN_WORKERS=false.
 */
@Module({
  providers: [WebhooksService, WebhookSecrets],
  exports: [WebhooksService, WebhookSecrets],
})
export class WebhooksModule {}

/** The delivery worker, for processes that run queue workers. */
@Module({
  imports: [WebhooksModule],
  providers: [WebhookDeliveryWorker],
})
export class WebhookDeliveryModule {}

/** The webhooks' HTTP API (API processes only). */
@Module({
  imports: [WebhooksModule],
  controllers: [WebhooksController],
})
export class WebhooksHttpModule {}
