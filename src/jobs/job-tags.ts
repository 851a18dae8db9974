import { Transform } from 'class-transformer';

/** Most tags a job carries. */
export const MAX_TAGS = 16;

/** One tag: 1 to 64 characters of A-Z a-z 0-9 _ . : - */
export const TAG_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export const TAG_MESSAGE = 'each value in tags must be 1 to 64 characters of A-Z a-z 0-9 _ . : -';

/** The tags in their first order, duplicates removed; anything but an array of strings stays as it is (and fails validation). */
export function uniqueTags(value: unknown): unknown {
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) return value;
  return [...new Set(value as string[])];
}

/** Duplicates removed before validation (so 16 distinct tags are the limit). */
export const UniqueTags = (): PropertyDecorator => Transform(({ value }: { value: unknown }) => uniqueTags(value));

/** A repeatable query parameter (`?tag=a&tag=b`, or one `?tag=a`) as a list. */
export const QueryList = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value));
