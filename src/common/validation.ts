import {
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FieldError } from './errors';
import { echo, hasUnpairedSurrogate } from './text';

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

/** Bounds on the shape of a request body or query, checked before any validation (see {@link checkInput}). */
export const INPUT_LIMITS = {
  /** Levels of objects and arrays inside one another; the body itself is the first. */
  maxDepth: 64,
  /** Keys of one object. */
  maxKeys: 1000,
  /** Values in all (objects, arrays, strings, numbers, booleans, nulls). */
  maxValues: 10_000,
} as const;

export type InputLimits = { [K in keyof typeof INPUT_LIMITS]: number };

/** A path segment for a key: as it is for a plain name, quoted (and cut, see {@link echo}) otherwise. */
function keySegment(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]{0,63}$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(echo(key))}]`;
}

/** What is wrong with a string or key as text, as the end of "… contains …"; null when nothing. */
function badText(text: string): string | null {
  if (text.includes('\u0000')) return 'the NUL character (\\u0000)';
  if (hasUnpairedSurrogate(text)) return 'an unpaired surrogate (\\ud800-\\udfff), so it is not valid Unicode text';
  return null;
}

/**
 * The first problem of a parsed body or query, as a field path (`programs[0].quantumCircuit`, or
 * `root` for the value itself) and a message that starts with it; null when there is none. Problems:
 * a string or key with the NUL character (PostgreSQL stores neither in text nor in jsonb) or an
 * unpaired surrogate (not Unicode text, refused by jsonb), and a shape beyond {@link INPUT_LIMITS}.
 *
 * One iterative walk in document order that gives up at the first problem, so its cost is bounded by
 * the limits whatever the input (the recursive walk it replaces overflowed the stack on JSON nested
 * 1,500 deep, and class-validator's check of unknown keys is quadratic in their number).
 */
export function checkInput(value: unknown, root = 'body', limits: InputLimits = INPUT_LIMITS): FieldError | null {
  const problem = (path: string, message: string): FieldError => {
    const field = path || root;
    return { field, message: `${field} ${message}` };
  };
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  let values = 1;
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { path, depth } = node;
    const v = node.value;
    if (typeof v === 'string') {
      const bad = badText(v);
      if (bad) return problem(path, `must not contain ${bad}`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limits.maxDepth) return problem(path, `is nested more than ${limits.maxDepth} levels deep`);
    if (Array.isArray(v)) {
      values += v.length;
      if (values > limits.maxValues) return problem('', `has more than ${limits.maxValues} values in all`);
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > limits.maxKeys)
      return problem(path, `has ${keys.length} keys, more than the ${limits.maxKeys} one object may have`);
    values += keys.length;
    if (values > limits.maxValues) return problem('', `has more than ${limits.maxValues} values in all`);
    for (const key of keys) {
      const bad = badText(key);
      if (bad) return problem(path, `has a key that contains ${bad}`);
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i];
      stack.push({ value: (v as Record<string, unknown>)[key], path: keySegment(path, key), depth: depth + 1 });
    }
  }
  return null;
}

/**
 * The first global pipe, before validation: refuses a body or query that {@link checkInput} finds a
 * problem in with a 400 that names the field, cheaply, instead of a database error, a stack overflow
 * or seconds of validation work. (Named for the first of its checks.)
 */
@Injectable()
export class RejectNulPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const found = checkInput(value, metadata.type);
    if (found) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: found.message,
        errors: [found],
      });
    }
    return value;
  }
}
