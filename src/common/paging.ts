import type { Type as ClassType } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The largest `offset` a list takes: a safe integer, so that it reaches PostgreSQL (a bigint) as it was written. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset: number = 0;
}

/** Every list answers this shape. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export function page<T>(items: T[], total: number, q: PageQueryDto): Page<T> {
  return { items, total, limit: q.limit, offset: q.offset };
}

/**
 * The OpenAPI shape of a page of `item`s, for `@ApiOkResponse({ type: ... })`. Subclass it so that the
 * schema gets a name of its own: `export class JobPageDto extends PageOf(JobDto) {}`.
 */
export function PageOf<T>(item: ClassType<T>) {
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item] }) items!: T[];
    @ApiProperty({ description: 'Rows matching the query in all' }) total!: number;
    @ApiProperty() limit!: number;
    @ApiProperty() offset!: number;
  }
  return PageDto;
}
