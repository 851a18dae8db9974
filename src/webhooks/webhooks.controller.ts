import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { Page, page, PageOf, PageQueryDto } from '../common/paging';
import { CreatedWebhookDto, CreateWebhookDto, WebhookAttemptDto, WebhookDto } from './dto/webhook.dto';
import { WebhooksService } from './webhooks.service';

/** A page of GET /api/webhooks. */
export class WebhookPageDto extends PageOf(WebhookDto) {}

/** A page of GET /api/webhooks/:id/deliveries. */
export class WebhookAttemptPageDto extends PageOf(WebhookAttemptDto) {}

@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary:
      'Subscribe a URL to domain events (signed POSTs, see docs/webhooks.md); the answer holds the secret, shown only this once',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  async create(@CurrentUser() user: Principal, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const { webhook, secret } = await this.webhooks.create(user, dto);
    return { ...WebhookDto.from(webhook), secret };
  }

  @Get()
  @ApiOperation({ summary: "Your webhooks, newest first (an admin's list holds everyone's)" })
  @ApiOkResponse({ type: WebhookPageDto })
  async list(@CurrentUser() user: Principal, @Query() q: PageQueryDto): Promise<Page<WebhookDto>> {
    const [items, total] = await this.webhooks.list(user, q);
    return page(
      items.map((w) => WebhookDto.from(w)),
      total,
      q,
    );
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookDto })
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<WebhookDto> {
    return WebhookDto.from(await this.webhooks.get(user, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook: its pending deliveries and its log go with it' })
  @ApiNoContentResponse()
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(user, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: 'The delivery log: every attempt (time, event, status or error, duration), newest first',
  })
  @ApiOkResponse({ type: WebhookAttemptPageDto })
  async deliveries(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Query() q: PageQueryDto,
  ): Promise<Page<WebhookAttemptDto>> {
    const [items, total] = await this.webhooks.attempts(user, id, q);
    return page(
      items.map((a) => WebhookAttemptDto.from(a)),
      total,
      q,
    );
  }
}
