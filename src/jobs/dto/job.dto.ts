import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  IsObject,
  ValidateNested,
} from 'class-validator';
import { MAX_OFFSET, PageOf, PageQueryDto } from '../../common/paging';
import type { Job } from '../job.entity';
import type { QueuePlace } from '../job-queue-stats';
import { MAX_TAGS, QueryList, TAG_MESSAGE, TAG_PATTERN, UniqueTags } from '../job-tags';
import {
  ERROR_MITIGATIONS,
  JOB_STATES,
  JOB_TYPES,
  RESULT_TYPES,
  type ErrorMitigation,
  type JobState,
  type JobType,
  type ResultType,
} from '../job.enums';
import { jobView, resultView, type Viewer } from '../job.views';
import { RESULT_DATA_FORMATS, RESULT_DATA_ORDERS, type ResultDataFormat, type ResultDataOrder } from '../result-data';
import type { Result } from '../result.entity';

/** The largest magnitude of an observable's coefficient: larger ones overflow the variance to Infinity. */
export const MAX_COEFFICIENT = 1e6;

export class ObservableDto {
  @ApiProperty({ description: 'Pauli string over I, X, Y, Z; the rightmost character acts on qubit 0', example: 'ZZ' })
  @IsString()
  @Matches(/^[IXYZ]{1,64}$/, { message: 'pauli must be a string of I, X, Y and Z (1 to 64 characters)' })
  pauli!: string;

  @ApiPropertyOptional({ default: 1, minimum: -MAX_COEFFICIENT, maximum: MAX_COEFFICIENT })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-MAX_COEFFICIENT)
  @Max(MAX_COEFFICIENT)
  coefficient?: number;
}

export class CreateJobDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  deploymentId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The device; or give providerName and deviceName' })
  @ValidateIf((o: CreateJobDto) => o.providerName === undefined && o.deviceName === undefined)
  @IsUUID(undefined, { message: 'deviceId must be a UUID (or give providerName and deviceName)' })
  deviceId?: string;

  @ApiPropertyOptional({ example: 'LOCAL' })
  @ValidateIf((o: CreateJobDto) => o.deviceId === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  providerName?: string;

  @ApiPropertyOptional({ example: 'statevector-simulator' })
  @ValidateIf((o: CreateJobDto) => o.deviceId === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  deviceName?: string;

  @ApiProperty({ minimum: 1, example: 1000 })
  @IsInt()
  @Min(1)
  shots!: number;

  @ApiPropertyOptional({ enum: JOB_TYPES, default: 'RUNNER' })
  @IsOptional()
  @IsIn(JOB_TYPES)
  type: JobType = 'RUNNER';

  @ApiPropertyOptional({
    enum: ERROR_MITIGATIONS,
    default: 'none',
    description:
      "Where the device applies it, else 422 naming errorMitigation: IonQ 'debiasing'; the noisy local devices readout_mitigation, twirled_readout_error_extinction, zne (SAMPLER, ESTIMATOR), pec (ESTIMATOR), dd (SAMPLER, ESTIMATOR; where the model has an idle detuning) (docs/noise.md)",
  })
  @IsOptional()
  @IsIn(ERROR_MITIGATIONS)
  errorMitigation: ErrorMitigation = 'none';

  @ApiPropertyOptional({
    minimum: 1,
    description:
      "Circuit cutting: a program wider than this runs as wire-cut fragments of at most this many qubits, recombined (results' meta.cut says how many cuts, fragments and sub-experiments). Ideal local devices only; at most 4096 sub-experiments a program; else 422 naming cutToWidth. See docs/cutting.md",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  cutToWidth?: number;

  @ApiPropertyOptional({ minimum: 0, description: 'Makes sampling reproducible' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seed?: number;

  @ApiPropertyOptional({ type: [ObservableDto], description: 'Required for ESTIMATOR jobs' })
  @ValidateIf((o: CreateJobDto) => o.type === 'ESTIMATOR' || o.observables !== undefined)
  @IsArray({ message: 'observables must be a list of {pauli, coefficient} (required for ESTIMATOR jobs)' })
  @ArrayMinSize(1, { message: 'observables must contain at least 1 element for ESTIMATOR jobs' })
  @ArrayMaxSize(100)
  // ValidateNested alone lets an element that is an array (of nothing) through.
  @IsObject({ each: true, message: 'each of observables must be an object {pauli, coefficient}' })
  @ValidateNested({ each: true })
  @Type(() => ObservableDto)
  observables?: ObservableDto[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_TAGS,
    example: ['experiment:42', 'bell'],
    description: `Labels to find the job by (GET /api/jobs?tag=): at most ${MAX_TAGS}, each 1-64 characters of A-Z a-z 0-9 _ . : - ; duplicates are removed`,
  })
  @IsOptional()
  @UniqueTags()
  @IsArray({ message: 'tags must be a list of strings' })
  @ArrayMaxSize(MAX_TAGS, { message: `tags must contain at most ${MAX_TAGS} distinct tags` })
  @IsString({ each: true, message: TAG_MESSAGE })
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags?: string[];

  @ApiPropertyOptional({
    writeOnly: true,
    maxLength: 8192,
    description:
      'Access token for the provider of the device. Kept encrypted (AES-256-GCM) only while the job runs, never returned; needs TOKEN_ENCRYPTION_KEY on the server (422 without)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(8192)
  token?: string;
}

export const JOB_SORTS = ['createdAt', 'finishedAt'] as const;
export type JobSort = (typeof JOB_SORTS)[number];
export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

export class JobQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATES })
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: JobState;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deploymentId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({
    maxLength: 255,
    description:
      'Only the jobs of this owner (a JWT sub), or `public` for public jobs; among those you can see (a user sees their own and the public ones)',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  owner?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Repeatable (?tag=a&tag=b): only jobs that have all of these tags',
  })
  @IsOptional()
  @QueryList()
  @IsArray({ message: 'tag must be a tag or a list of tags' })
  @ArrayMaxSize(MAX_TAGS, { message: `tag must be given at most ${MAX_TAGS} times` })
  @IsString({ each: true, message: 'each value in tag must be 1 to 64 characters of A-Z a-z 0-9 _ . : -' })
  @Matches(TAG_PATTERN, { each: true, message: 'each value in tag must be 1 to 64 characters of A-Z a-z 0-9 _ . : -' })
  tag?: string[];

  @ApiPropertyOptional({
    maxLength: 200,
    description:
      'Case-insensitive substring of the name, or a prefix of the id (hex digits and dashes); 3 characters or more use the trigram index',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only jobs created at or after this time (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdAfter must be an ISO 8601 date or date-time' })
  createdAfter?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only jobs created before this time (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdBefore must be an ISO 8601 date or date-time' })
  createdBefore?: string;

  @ApiPropertyOptional({
    enum: JOB_SORTS,
    default: 'createdAt',
    description: 'Order of the list (ties by id); for finishedAt, jobs not finished count as the latest',
  })
  @IsOptional()
  @IsIn(JOB_SORTS)
  sort: JobSort = 'createdAt';

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
  order: SortOrder = 'desc';
}

/** POST /api/jobs/:id/rerun: what may differ from the original (nothing, when the body is empty). */
export class RerunJobDto {
  @ApiPropertyOptional({ minimum: 1, description: "Shots of the new job (default: the original's)" })
  @IsOptional()
  @IsInt()
  @Min(1)
  shots?: number;

  @ApiPropertyOptional({ format: 'uuid', description: "The device of the new job (default: the original's)" })
  @IsOptional()
  @IsUUID()
  deviceId?: string;
}

export class JobTagsDto {
  @ApiProperty({
    type: [String],
    maxItems: MAX_TAGS,
    example: ['experiment:42'],
    description: `The job's new tags (they replace the old ones): at most ${MAX_TAGS}, each 1-64 characters of A-Z a-z 0-9 _ . : - ; duplicates are removed`,
  })
  @UniqueTags()
  @IsArray({ message: 'tags must be a list of strings' })
  @ArrayMaxSize(MAX_TAGS, { message: `tags must contain at most ${MAX_TAGS} distinct tags` })
  @IsString({ each: true, message: TAG_MESSAGE })
  @Matches(TAG_PATTERN, { each: true, message: TAG_MESSAGE })
  tags!: string[];
}

export class JobEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Only events with a greater seq (the last one you saw)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  afterSeq: number = 0;
}

export class JobEventDto {
  @ApiProperty({ description: 'Per-job sequence number: 1, 2, 3 … without gaps' }) seq!: number;
  @ApiProperty({ example: 'job.state', description: 'job.created, job.progress, job.result, job.error, job.state' })
  name!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As the socket event carried it' })
  payload!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class JobEventPageDto extends PageOf(JobEventDto) {}

/** Most entries one page of GET /api/jobs/:id/results/:resultId/data holds. */
export const MAX_RESULT_DATA_PAGE = 10_000;

export class ResultDataQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RESULT_DATA_PAGE, default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RESULT_DATA_PAGE)
  limit: number = 1000;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset: number = 0;

  @ApiPropertyOptional({
    enum: RESULT_DATA_ORDERS,
    default: 'count',
    description: 'count: most probable first (as stored); key: by the key, byte order (sorted in the database)',
  })
  @IsOptional()
  @IsIn(RESULT_DATA_ORDERS)
  order: ResultDataOrder = 'count';

  @ApiPropertyOptional({
    enum: RESULT_DATA_FORMATS,
    default: 'json',
    description:
      'json: one page {items, total, limit, offset}; ndjson or csv: every entry as a streamed download, most probable first (offset, limit and order do not apply)',
  })
  @IsOptional()
  @IsIn(RESULT_DATA_FORMATS)
  format: ResultDataFormat = 'json';
}

export class ResultDataPageDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'array', items: {}, minItems: 2, maxItems: 2 },
    description: '[key, value] pairs',
    example: [
      ['0x3', 512],
      ['0x0', 488],
    ],
  })
  items!: [string, unknown][];
  @ApiProperty({ description: 'Entries stored of the result' }) total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
}

export class ResultDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) programId!: string | null;
  @ApiProperty({ enum: RESULT_TYPES }) resultType!: ResultType;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The result; of a distribution with more entries than RESULT_INLINE_ENTRIES, its most probable entries (meta.truncated)',
  })
  data!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Of a truncated result: truncated, entries (as produced), storedEntries, inlineEntries, dataUrl (all entries, paged or downloaded), and droppedEntries/droppedWeight when MAX_RESULT_ENTRIES cut it',
  })
  meta!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  /** `viewer`: who asks; the stack trace of an ERROR result is for admins only (see visibleMeta in job.views.ts). */
  static from(r: Result, viewer: Viewer): ResultDto {
    return { ...resultView(r, viewer), createdAt: r.createdAt.toISOString() };
  }
}

export class JobMetricsDto {
  @ApiProperty({ nullable: true, type: Number, description: 'From submission to its (last) start' })
  queuedMs!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'From its (last) start to its end' })
  runningMs!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'From submission to its end' })
  totalMs!: number | null;

  static from(j: Pick<Job, 'createdAt' | 'startedAt' | 'finishedAt'>): JobMetricsDto {
    const ms = (a?: Date | null, b?: Date | null) => (a && b ? Math.max(0, b.getTime() - a.getTime()) : null);
    return {
      queuedMs: ms(j.createdAt, j.startedAt),
      runningMs: ms(j.startedAt, j.finishedAt),
      totalMs: ms(j.createdAt, j.finishedAt),
    };
  }
}

export class JobDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ enum: JOB_STATES }) state!: JobState;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty() shots!: number;
  @ApiProperty({ enum: JOB_TYPES }) type!: JobType;
  @ApiProperty({ enum: ERROR_MITIGATIONS }) errorMitigation!: ErrorMitigation;
  @ApiProperty({ nullable: true, type: Number }) cutToWidth!: number | null;
  @ApiProperty({ nullable: true, type: Number }) seed!: number | null;
  @ApiProperty({ nullable: true, type: [ObservableDto] }) observables!: ObservableDto[] | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) deploymentId!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      "The deployment's revision whose programs the job runs (a rerun: the original's), kept when the deployment is replaced or deleted",
  })
  deploymentRevision!: number | null;
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Owner (JWT sub); null for a public job' })
  executedBy!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "The job's id at its remote provider (Braket: one task ARN a program, comma-separated)",
  })
  providerSpecificId!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Of a job on a remote device: what its provider last said (submitted, queued, running; done, failed or canceled at the end)',
  })
  providerStatus!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      "Its place in the queue: of a READY job, 1 + the READY jobs of its device submitted before it (1 = next to start); of a job waiting at a remote provider, the provider's queue position where it tells one; else null",
  })
  queuePosition!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description:
      "Of a READY job: when it is expected to start, from its position and its device's run times of the last 24 h (null when nothing is known)",
  })
  estimatedStartAt!: string | null;
  @ApiProperty({ type: () => JobMetricsDto, description: 'Its times, each once known' })
  metrics!: JobMetricsDto;
  @ApiProperty({ type: [String], description: 'Labels for search; a rerun carries them over' }) tags!: string[];
  @ApiPropertyOptional({ type: [ResultDto], description: 'Present on GET /api/jobs/:id' })
  results?: ResultDto[];

  /**
   * With `viewer`, the job's results too (GET /api/jobs/:id), as that viewer may see them; with
   * `place`, its queue position and start estimate (JobQueueStats), else the provider's position only.
   */
  static from(j: Job, viewer?: Viewer, place?: QueuePlace): JobDto {
    const { ownerId, ...core } = jobView(j);
    const dto: JobDto = {
      ...core,
      // qunicorn-core's name for the owner
      executedBy: ownerId,
      errorMitigation: j.errorMitigation,
      cutToWidth: j.cutToWidth ?? null,
      seed: j.seed ?? null,
      observables: j.observables ?? null,
      providerSpecificId: j.providerSpecificId ?? null,
      providerStatus: j.providerStatus ?? null,
      queuePosition:
        place?.queuePosition ??
        (j.state === 'RUNNING' && j.providerStatus === 'queued' ? (j.queuePosition ?? null) : null),
      estimatedStartAt: place?.estimatedStartAt ?? null,
      metrics: JobMetricsDto.from(j),
      tags: j.tags ?? [],
    };
    if (viewer) dto.results = j.results.getItems().map((r) => ResultDto.from(r, viewer));
    return dto;
  }
}

/** A page of GET /api/jobs and GET /api/deployments/:id/jobs. */
export class JobPageDto extends PageOf(JobDto) {}
