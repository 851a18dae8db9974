import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/paging';
import { DELIVERY_STATES, type DeliveryState, type Webhook, type WebhookAttempt } from '../webhook.entity';
import { ALL_EVENTS, WEBHOOK_EVENT_NAMES } from '../webhook-events';

const EVENT_CHOICES = [ALL_EVENTS, ...WEBHOOK_EVENT_NAMES];

export class CreateWebhookDto {
  @ApiProperty({
    description:
      'Where to POST the events: http or https, and (unless WEBHOOK_ALLOW_PRIVATE) a host that resolves to public addresses only',
    example: 'https://example.com/qunest-hook',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    description: 'Domain event names to receive, or `*` for all',
    type: [String],
    enum: EVENT_CHOICES,
    example: ['job.state', 'job.result'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_CHOICES.length)
  @ArrayUnique()
  @IsIn(EVENT_CHOICES, { each: true, message: `events must hold only ${EVENT_CHOICES.join(', ')}` })
  events!: string[];
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String], enum: EVENT_CHOICES }) events!: string[];
  @ApiProperty({ nullable: true, type: String, description: 'The user who created it (null: the anonymous admin)' })
  ownerId!: string | null;
  @ApiProperty({
    description: "Receives the events of every row (created by an admin), not only public and the owner's",
  })
  allRows!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static from(w: Webhook): WebhookDto {
    return {
      id: w.id,
      url: w.url,
      events: [...w.events],
      ownerId: w.ownerId ?? null,
      allRows: w.allRows,
      createdAt: w.createdAt.toISOString(),
    };
  }
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description:
      'The signing secret (HMAC-SHA256 key of Qunest-Signature). Answered only here, once: keep it; it cannot be read again.',
  })
  secret!: string;
}

export class WebhookAttemptDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    format: 'uuid',
    description: 'The delivery (the Qunest-Delivery header), the same for all its attempts',
  })
  deliveryId!: string;
  @ApiProperty({ description: 'Number of this attempt of the delivery, from 1' }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() event!: string;
  @ApiProperty({ description: 'Outbox id of the event (the `id` of the body)' }) eventId!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the answer; null when none came' })
  status!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the attempt failed without an answer (timeout, refused address, …)',
  })
  error!: string | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ nullable: true, type: String, description: 'The first 1 KB of the answer' })
  responseBody!: string | null;
  @ApiProperty({ enum: DELIVERY_STATES, description: 'State of the delivery now' }) deliveryState!: DeliveryState;

  static from(a: WebhookAttempt): WebhookAttemptDto {
    return {
      id: a.id,
      deliveryId: a.delivery.id,
      attempt: a.attempt,
      at: a.at.toISOString(),
      event: a.eventName,
      eventId: a.delivery.outboxId,
      status: a.status ?? null,
      error: a.error ?? null,
      durationMs: a.durationMs,
      responseBody: a.responseBody ?? null,
      deliveryState: a.delivery.state,
    };
  }
}

export class WebhookQueryDto extends PageQueryDto {}
