import { Transform } from 'class-transformer';

/** A query-string boolean: 'true'/'1' and 'false'/'0'; anything else stays as is and fails @IsBoolean. */
export function QueryBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (value === 'true' || value === '1' || value === true) return true;
    if (value === 'false' || value === '0' || value === false) return false;
    return value;
  });
}
