import { CredentialsRefused, RemoteUnavailable, retryAfterMs } from './remote-errors';

/** A provider answered with an error that is neither transient nor about credentials (400, 404, 409, ...). */
export class ProviderHttpError extends Error {
  override readonly name = 'ProviderHttpError';
  constructor(
    message: string,
    readonly status: number,
    /** The provider's answer, parsed as JSON where it was JSON, else its text. */
    readonly body: unknown,
  ) {
    super(message);
  }
}

export interface ProviderFetchOptions {
  /** The provider's name, for messages ("the token was refused by IBM"). */
  provider: string;
  /** Longest a call may take before it counts as the provider being unreachable (default 30 s). */
  timeoutMs?: number;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
}

/**
 * fetch for the adapters that speak plain HTTP (IBM, IonQ, QMware): a time limit on every call, and
 * the answer told in the terms of remote-errors.ts: network errors, time-outs, 5xx and 429 are
 * RemoteUnavailable (with Retry-After), 401 and 403 CredentialsRefused, other 4xx ProviderHttpError
 * with the provider's own message. Returns the response of a 2xx.
 */
export async function providerFetch(url: string, init: RequestInit, opts: ProviderFetchOptions): Promise<Response> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
  } catch (err) {
    const reason = (err as Error)?.name === 'TimeoutError' ? 'did not answer in time' : 'could not be reached';
    throw new RemoteUnavailable(`${opts.provider} ${reason} (${describeCause(err)})`, null, err);
  }
  if (res.ok) return res;
  const body = await readBody(res);
  const said = providerMessage(body);
  const detail = said ? `: ${said}` : '';
  if (res.status === 429 || res.status >= 500) {
    throw new RemoteUnavailable(
      `${opts.provider} answered ${res.status}${detail}`,
      retryAfterMs(res.headers.get('retry-after')),
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new CredentialsRefused(
      `the token was refused by ${opts.provider} (${res.status}${detail})`,
      opts.provider,
      res.status,
    );
  }
  throw new ProviderHttpError(`${opts.provider} answered ${res.status}${detail}`, res.status, body);
}

/** providerFetch, then the answer's JSON. */
export async function providerJson<T>(url: string, init: RequestInit, opts: ProviderFetchOptions): Promise<T> {
  const res = await providerFetch(url, init, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  try {
    return (text === '' ? undefined : JSON.parse(text)) as T;
  } catch {
    throw new RemoteUnavailable(`${opts.provider} answered ${res.status} with a body that is not JSON`);
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The provider's own words in an error body, from the shapes the providers use: `{errors: [{message}]}`
 * (IBM), `{message}` / `{error: {message}}` (IonQ), `{detail}` (FastAPI-style), or plain text.
 */
export function providerMessage(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 500);
  if (body === null || typeof body !== 'object') return '';
  const o = body as Record<string, unknown>;
  if (Array.isArray(o.errors) && o.errors.length > 0) {
    return o.errors
      .map((e) => providerMessage(e))
      .filter(Boolean)
      .join('; ')
      .slice(0, 500);
  }
  for (const key of ['message', 'detail', 'error', 'reason', 'title']) {
    const v = o[key];
    if (typeof v === 'string' && v) return v.slice(0, 500);
    if (v && typeof v === 'object') {
      const inner = providerMessage(v);
      if (inner) return inner;
    }
  }
  return '';
}

function describeCause(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
