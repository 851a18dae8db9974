import { Readable } from 'node:stream';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { LimitJobSubmissions } from '../auth/rate-limit';
import { ApiIdempotencyKey, parseIdempotencyKey } from '../common/idempotency';
import { Page, page, PageQueryDto } from '../common/paging';
import {
  CreateJobDto,
  JobDto,
  JobEventPageDto,
  JobEventsQueryDto,
  JobPageDto,
  JobQueryDto,
  JobTagsDto,
  ResultDataPageDto,
  ResultDataQueryDto,
  ResultDto,
  RerunJobDto,
} from './dto/job.dto';
import { JobQueueStats } from './job-queue-stats';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly queueStats: JobQueueStats,
  ) {}

  @Get()
  @ApiOkResponse({ type: JobPageDto })
  @ApiOperation({
    summary:
      'List the jobs you can see, newest first unless sorted (filters: state, deploymentId, deviceId, tag (all of them), q (name substring or id prefix), createdAfter, createdBefore; sort createdAt|finishedAt, order asc|desc)',
  })
  async list(@CurrentUser() user: Principal, @Query() q: JobQueryDto): Promise<Page<JobDto>> {
    const [items, total] = await this.jobs.list(user, q);
    const places = await this.queueStats.placesOf(items);
    return page(
      items.map((j) => JobDto.from(j, undefined, places.get(j.id))),
      total,
      q,
    );
  }

  @Post()
  @LimitJobSubmissions()
  @ApiOperation({ summary: 'Submit a job: it is stored READY and queued in one transaction' })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: JobDto })
  async create(
    @CurrentUser() user: Principal,
    @Body() dto: CreateJobDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<JobDto> {
    return JobDto.from(await this.jobs.create(user, dto, parseIdempotencyKey(idempotencyKey)));
  }

  @Get(':id')
  @ApiOkResponse({ type: JobDto })
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<JobDto> {
    const job = await this.jobs.get(user, id, true);
    const places = await this.queueStats.placesOf([job]);
    return JobDto.from(job, user, places.get(job.id));
  }

  @Put(':id/tags')
  @ApiOperation({
    summary: "Replace a job's tags (any state); a public job: admins only, 403 for others. Answers the job",
  })
  @ApiOkResponse({ type: JobDto })
  async setTags(@CurrentUser() user: Principal, @Param('id') id: string, @Body() dto: JobTagsDto): Promise<JobDto> {
    return JobDto.from(await this.jobs.setTags(user, id, dto.tags));
  }

  @Get(':id/events')
  @ApiOperation({
    summary:
      "A job's committed events in seq order, kept as long as the job ({items: [{seq, name, payload, at}], total, limit, offset}); afterSeq: only those after the last one you saw (a socket client that reconnects)",
  })
  @ApiOkResponse({ type: JobEventPageDto })
  async events(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Query() q: JobEventsQueryDto,
  ): Promise<JobEventPageDto> {
    return this.jobs.events(user, id, q);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a job and its results (a job still waiting leaves the queue); a public job: admins only, 403 for others',
  })
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    await this.jobs.delete(user, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Cancel a job that has not ended (409 when it has); one at a remote provider is canceled there first (409 with its reason when it refuses); a public job: admins only, 403 for others',
  })
  @ApiOkResponse({ type: JobDto })
  @ApiResponse({ status: 409, description: 'The job has ended, or its provider refused to cancel it (its reason)' })
  @ApiResponse({ status: 502, description: 'The provider answered the cancel with an error of its own' })
  @ApiResponse({ status: 503, description: 'The provider could not be reached; try again' })
  async cancel(@CurrentUser() user: Principal, @Param('id') id: string): Promise<JobDto> {
    return JobDto.from(await this.jobs.cancel(user, id));
  }

  @Post(':id/rerun')
  @LimitJobSubmissions()
  @ApiOperation({
    summary:
      "Run the job again as a new job with the same programs (the original's revision) and settings, or other shots or another device ({shots?, deviceId?}; checked as a submission is); it keeps the owner of an owned job, and a rerun of a public job is yours",
  })
  @ApiCreatedResponse({ type: JobDto })
  async rerun(@CurrentUser() user: Principal, @Param('id') id: string, @Body() dto: RerunJobDto = {}): Promise<JobDto> {
    return JobDto.from(await this.jobs.rerun(user, id, dto));
  }

  @Get(':id/results')
  @ApiOkResponse({ type: [ResultDto] })
  async results(@CurrentUser() user: Principal, @Param('id') id: string): Promise<ResultDto[]> {
    const job = await this.jobs.get(user, id, true);
    return job.results.getItems().map((r) => ResultDto.from(r, user));
  }

  @Get(':id/results/:resultId')
  @ApiOkResponse({ type: ResultDto })
  async result(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Param('resultId') resultId: string,
  ): Promise<ResultDto> {
    return ResultDto.from(await this.jobs.getResult(user, id, resultId), user);
  }

  @Get(':id/results/:resultId/data')
  @ApiOperation({
    summary:
      "A result's entries: one page of [key, value] pairs (order count: most probable first, or key), or with format=csv or ndjson all of them as a streamed download",
  })
  @ApiOkResponse({ type: ResultDataPageDto })
  @ApiProduces('application/json', 'application/x-ndjson', 'text/csv')
  async data(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Param('resultId') resultId: string,
    @Query() q: ResultDataQueryDto,
  ): Promise<ResultDataPageDto | StreamableFile> {
    if (q.format === 'json') return this.jobs.getResultData(user, id, resultId, q);
    const { result, lines } = await this.jobs.resultDownload(user, id, resultId, q.format);
    const name = `${result.resultType.toLowerCase()}-${result.id}.${q.format === 'csv' ? 'csv' : 'ndjson'}`;
    return new StreamableFile(Readable.from(lines, { objectMode: false }), {
      type: q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      disposition: `attachment; filename="${name}"`,
    });
  }
}

/** The answer of DELETE /api/deployments/:id/jobs. */
export class DeletedJobsDto {
  @ApiProperty({ description: 'Jobs deleted' }) deleted!: number;
  @ApiProperty({ description: 'Public jobs of the deployment left in place: only admins delete them (0 for admins)' })
  skipped!: number;
}

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments/:id/jobs')
export class DeploymentJobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly queueStats: JobQueueStats,
  ) {}

  @Get()
  @ApiOkResponse({ type: JobPageDto })
  @ApiOperation({ summary: 'The jobs of a deployment that you can see' })
  async list(@CurrentUser() user: Principal, @Param('id') id: string, @Query() q: PageQueryDto): Promise<Page<JobDto>> {
    const result = await this.jobs.listByDeployment(user, id, q.limit, q.offset);
    const places = await this.queueStats.placesOf(result.items);
    return { ...result, items: result.items.map((j) => JobDto.from(j, undefined, places.get(j.id))) };
  }

  @Delete()
  @ApiOperation({
    summary:
      'Delete the jobs of a deployment that you may change: your own (admins: all). Answers {deleted, skipped}: skipped counts the public jobs left, which only admins delete',
  })
  @ApiOkResponse({ type: DeletedJobsDto })
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<DeletedJobsDto> {
    return this.jobs.deleteByDeployment(user, id);
  }
}
