/**
 * Property-based fuzzing of an HTTP API from its OpenAPI 3 document, with fast-check: for every
 * operation, arbitraries of its path, query and body made from the document's schemas (valid values,
 * values at and past each bound, wrong types, unknown keys, random JSON), and a check of every answer:
 * never a 5xx, a 2xx that matches its documented schema, an error in the API's error shape.
 */
import fc from 'fast-check';

type Schema = Record<string, any>;
export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}
export interface Operation {
  operationId?: string;
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface FuzzRequest {
  method: string;
  path: string;
  body?: unknown;
  /** What the request was made to be, for messages. */
  label: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const JUNK_STRINGS = [
  '',
  ' ',
  'x'.repeat(300),
  '💥',
  '\ud800',
  '../../etc/passwd',
  "' or 1=1 --",
  '%00',
  '1e20',
  '-1',
  '9223372036854775808',
  'null',
  'true',
  '{}',
  '[]',
  '0x10',
];

export class OpenApiFuzzer {
  constructor(
    private readonly doc: OpenApiDoc,
    /** Ids of rows that exist, by parameter name (id, resultId, deploymentId, deviceId, ...). */
    private readonly knownIds: () => Record<string, string[]>,
  ) {}

  resolve(schema: Schema | undefined): Schema {
    let s = schema ?? {};
    for (let i = 0; s.$ref && i < 20; i++) {
      const name = String(s.$ref).replace('#/components/schemas/', '');
      s = this.doc.components?.schemas?.[name] ?? {};
    }
    return s;
  }

  /** Every (method, path template, operation) of the document. */
  operations(): { method: string; template: string; op: Operation }[] {
    const out: { method: string; template: string; op: Operation }[] = [];
    for (const [template, ops] of Object.entries(this.doc.paths)) {
      for (const [method, op] of Object.entries(ops)) out.push({ method: method.toUpperCase(), template, op });
    }
    return out;
  }

  /** Values that fit `schema`, including its boundaries. */
  valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const nullable = s.nullable ? [fc.constant(null)] : [];
    if (s.enum) return fc.oneof(fc.constantFrom(...(s.enum as unknown[])), ...nullable);
    switch (s.type) {
      case 'string': {
        if (s.format === 'uuid') return fc.oneof(fc.uuid(), ...nullable);
        if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
        const maxLength = Math.min(s.maxLength ?? 40, 300);
        return fc.oneof(
          fc.string({ minLength: s.minLength ?? 0, maxLength }),
          ...(s.maxLength ? [fc.constant('a'.repeat(s.maxLength))] : []),
          ...nullable,
        );
      }
      case 'integer':
      case 'number': {
        const min = typeof s.minimum === 'number' ? s.minimum : -1e6;
        const max = typeof s.maximum === 'number' ? s.maximum : 1e6;
        const lo = Math.max(min, -1e9);
        const hi = Math.min(max, lo + 1e6);
        return fc.oneof(
          fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }),
          fc.constantFrom(min, max),
          ...nullable,
        );
      }
      case 'boolean':
        return fc.oneof(fc.boolean(), ...nullable);
      case 'array': {
        if (depth > 4) return fc.constant([]);
        return fc.oneof(
          fc.array(this.valid(s.items, depth + 1), {
            minLength: s.minItems ?? 0,
            maxLength: Math.min(s.maxItems ?? 4, 4),
          }),
          ...nullable,
        );
      }
      case 'object':
      default: {
        if (!s.properties || depth > 4) return fc.oneof(fc.constant({}), ...nullable);
        const required = new Set<string>(s.required ?? []);
        const props: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(s.properties as Record<string, Schema>)) {
          if (v.readOnly) continue;
          props[k] = this.valid(v, depth + 1);
        }
        return fc.record(props, { requiredKeys: [...required].filter((k) => k in props) });
      }
    }
  }

  /** Values that break `schema` one way or another (and some random JSON). */
  invalid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const junk = [fc.constantFrom<unknown>(...JUNK_STRINGS, 1e308, -1e308, 2 ** 63, 0.5, -1, [], {}, true, null)];
    switch (s.type) {
      case 'string':
        return fc.oneof(...junk, fc.integer(), fc.constant('z'.repeat((s.maxLength ?? 1000) + 1)));
      case 'integer':
      case 'number':
        return fc.oneof(
          ...junk,
          ...(typeof s.minimum === 'number' ? [fc.constant(s.minimum - 1)] : []),
          ...(typeof s.maximum === 'number' ? [fc.constant(s.maximum + 1)] : []),
          fc.string({ maxLength: 8 }),
        );
      case 'array':
        return fc.oneof(...junk, fc.array(this.invalid(s.items, depth + 1), { minLength: 1, maxLength: 3 }));
      case 'object':
      default: {
        if (!s.properties || depth > 3) return fc.oneof(...junk, fc.jsonValue({ maxDepth: 3 }));
        const keys = Object.keys(s.properties as object);
        return fc.oneof(
          ...junk,
          fc.jsonValue({ maxDepth: 3 }),
          // one property broken, the rest valid
          fc.tuple(this.valid(s, depth), fc.constantFrom(...keys)).chain(([base, key]) =>
            this.invalid((s.properties as Record<string, Schema>)[key], depth + 1).map((bad) => ({
              ...(base as object),
              [key]: bad,
            })),
          ),
          // a required property missing
          ...(s.required?.length
            ? [
                fc
                  .tuple(this.valid(s, depth), fc.constantFrom(...(s.required as string[])))
                  .map(([base, key]) => Object.fromEntries(Object.entries(base as object).filter(([k]) => k !== key))),
              ]
            : []),
          // an unknown key
          this.valid(s, depth).map((base) => ({ ...(base as object), unknownKey: 1 })),
        );
      }
    }
  }

  private pathValue(name: string, schema: Schema | undefined): fc.Arbitrary<string> {
    const known = this.knownIds()[name] ?? [];
    return fc.oneof(
      { weight: 3, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.uuid() },
      { weight: 1, arbitrary: fc.uuid() },
      {
        weight: 1,
        arbitrary: this.invalid(schema)
          .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
          // An empty or blank segment is another URL (/api/devices/ is the list), not a bad id; a
          // lone surrogate cannot be put into a URL at all.
          .filter((v) => v.trim() !== '' && !LONE_SURROGATE.test(v)),
      },
    );
  }

  /** Requests to one operation: valid and invalid path, query and body. */
  requests(method: string, template: string, op: Operation): fc.Arbitrary<FuzzRequest> {
    const params = op.parameters ?? [];
    const pathParams = params.filter((p) => p.in === 'path');
    const queryParams = params.filter((p) => p.in === 'query');
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const path = fc.tuple(...pathParams.map((p) => this.pathValue(p.name, p.schema))).map((values) => {
      let out = template;
      pathParams.forEach((p, i) => (out = out.replace(`{${p.name}}`, encodeURIComponent(values[i]))));
      return out;
    });
    const query = fc
      .tuple(
        ...queryParams.map((p) =>
          fc.option(
            fc.oneof({ weight: 3, arbitrary: this.valid(p.schema) }, { weight: 2, arbitrary: this.invalid(p.schema) }),
            { nil: undefined },
          ),
        ),
      )
      .map((values) => {
        const q = new URLSearchParams();
        queryParams.forEach((p, i) => {
          const v = values[i];
          if (v === undefined) return;
          q.append(p.name, typeof v === 'string' ? v : JSON.stringify(v));
        });
        const s = q.toString();
        return s ? `?${s}` : '';
      });
    const body = bodySchema
      ? fc.oneof(
          { weight: 3, arbitrary: this.valid(bodySchema).map((b) => ({ body: b, kind: 'valid body' })) },
          { weight: 2, arbitrary: this.invalid(bodySchema).map((b) => ({ body: b, kind: 'invalid body' })) },
        )
      : fc.constant({ body: undefined as unknown, kind: 'no body' });
    return fc.tuple(path, query, body).map(([p, q, b]) => ({
      method,
      path: p + q,
      body: b.body,
      label: `${method} ${template} (${b.kind})`,
    }));
  }

  /** Why `value` does not match `schema`, or null when it does (the subset of JSON Schema Nest emits). */
  mismatch(value: unknown, schema: Schema | undefined, at = '$'): string | null {
    const s = this.resolve(schema);
    if (value === null) return s.nullable || s.type === undefined ? null : `${at} is null`;
    if (s.enum && !(s.enum as unknown[]).includes(value))
      return `${at} = ${JSON.stringify(value)} is not one of ${s.enum}`;
    switch (s.type) {
      case 'string':
        return typeof value === 'string' ? null : `${at} is not a string`;
      case 'number':
      case 'integer':
        return typeof value === 'number' && Number.isFinite(value) ? null : `${at} is not a number`;
      case 'boolean':
        return typeof value === 'boolean' ? null : `${at} is not a boolean`;
      case 'array': {
        if (!Array.isArray(value)) return `${at} is not an array`;
        for (let i = 0; i < value.length; i++) {
          const m = this.mismatch(value[i], s.items, `${at}[${i}]`);
          if (m) return m;
        }
        return null;
      }
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) return `${at} is not an object`;
        for (const key of (s.required as string[] | undefined) ?? []) {
          if (!(key in value)) return `${at}.${key} is missing`;
        }
        for (const [key, sub] of Object.entries((s.properties as Record<string, Schema> | undefined) ?? {})) {
          const v = (value as Record<string, unknown>)[key];
          if (v === undefined) continue;
          const m = this.mismatch(v, sub, `${at}.${key}`);
          if (m) return m;
        }
        return null;
      }
      default:
        return null;
    }
  }
}
