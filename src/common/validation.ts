import {
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FieldError } from './errors';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix
      ? /^\d+$/.test(e.property)
        ? `${prefix}[${e.property}]`
        : `${prefix}.${e.property}`
      : e.property;
    for (const message of Object.values(e.constraints ?? {})) {
      // class-validator says "shots must be ..."; name nested fields in full ("programs[0].quantumCircuit ...").
      out.push({
        field,
        message: message.startsWith(`${e.property} `) ? `${field}${message.slice(e.property.length)}` : message,
      });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** The one global pipe: whitelist, refuse unknown fields, transform; errors name every field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: fields.map((f) => f.message).join('; '),
        errors: fields,
      });
    },
  });
}

/** Where in a value (a body, a query) a string holds a NUL character, as a field path; or null. */
export function findNul(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'value' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found =
        findNul(v, path ? `${path}.${k}` : k) ?? (k.includes('\u0000') ? (path ? `${path}.${k}` : k) : null);
      if (found) return found;
    }
  }
  return null;
}

/**
 * PostgreSQL cannot store the NUL character in text or jsonb: refuse it at the edge with a 400 that
 * names the field, instead of a database error.
 */
@Injectable()
export class RejectNulPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const field = findNul(value);
    if (field) {
      const message = `${field} must not contain the NUL character (\\u0000)`;
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message, errors: [{ field, message }] });
    }
    return value;
  }
}
