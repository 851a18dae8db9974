import { createHash } from 'node:crypto';
import { CredentialsRefused, RemoteUnavailable, retryAfterMs } from '../remote/remote-errors';

/**
 * IBM Cloud IAM: an API key is exchanged for a bearer token (POST {iamUrl}/identity/token, form
 * `grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey=...`, answer `{access_token, expires_in,
 * expiration}`), which every call to the Qiskit Runtime API carries. Tokens live an hour; they are
 * kept per API key (by its hash, never the key itself) until shortly before they expire, and
 * concurrent callers share one exchange.
 */
export interface IamOptions {
  /** IBM_IAM_URL, without a trailing slash. */
  iamUrl: string;
  timeoutMs: number;
  /** For tests: the fetch to use. */
  fetch?: typeof fetch;
  /** For tests: the clock. */
  now?: () => number;
}

interface CachedToken {
  token: string;
  /** When to exchange the key again (ms since the epoch): before the token expires. */
  refreshAt: number;
}

/** Most API keys whose tokens are kept (jobs may bring their own keys). */
const MAX_KEYS = 1000;

export class IamTokens {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  /** How many exchanges were made (for tests and logs). */
  exchanges = 0;

  constructor(private readonly opts: IamOptions) {}

  /** A bearer token for `apiKey`: the cached one while it is fresh, else a new exchange. */
  async bearer(apiKey: string): Promise<string> {
    const id = keyId(apiKey);
    const cached = this.cache.get(id);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    let exchange = this.pending.get(id);
    if (!exchange) {
      exchange = (async () => {
        try {
          const fresh = await this.exchange(apiKey);
          this.remember(id, fresh);
          return fresh;
        } finally {
          this.pending.delete(id);
        }
      })();
      this.pending.set(id, exchange);
    }
    return (await exchange).token;
  }

  /** Forgets the token of `apiKey` (the Runtime API refused it): the next call exchanges the key again. */
  forget(apiKey: string): void {
    this.cache.delete(keyId(apiKey));
  }

  private remember(id: string, token: CachedToken): void {
    this.cache.delete(id);
    this.cache.set(id, token);
    while (this.cache.size > MAX_KEYS) this.cache.delete(this.cache.keys().next().value as string);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async exchange(apiKey: string): Promise<CachedToken> {
    const doFetch = this.opts.fetch ?? fetch;
    const url = `${this.opts.iamUrl}/identity/token`;
    const started = this.now();
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: apiKey }).toString(),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string }; message?: string };
      const reason = e?.name === 'TimeoutError' ? 'did not answer in time' : 'could not be reached';
      throw new RemoteUnavailable(
        `IBM Cloud IAM ${reason} (${e?.cause?.code ?? e?.message ?? String(err)})`,
        null,
        err,
      );
    }
    this.exchanges++;
    const text = await res.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: its text is the message
    }
    const said = iamMessage(body) || text.trim().slice(0, 300);
    if (res.status === 429 || res.status >= 500) {
      throw new RemoteUnavailable(
        `IBM Cloud IAM answered ${res.status}${said ? `: ${said}` : ''}`,
        retryAfterMs(res.headers.get('retry-after')),
      );
    }
    if (!res.ok) {
      // 400 (BXNIM0415E "Provided API key could not be found."), 401 and 403: the key is not good.
      throw new CredentialsRefused(
        `the token was refused by IBM (IAM ${res.status}${said ? `: ${said}` : ''})`,
        'IBM',
        res.status,
      );
    }
    const token = body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RemoteUnavailable('IBM Cloud IAM answered without an access_token');
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    // Exchanged again when 80 % of its life has passed (as IBM's SDKs do), and at least a minute early.
    const margin = Math.max(60_000, lifetimeMs * 0.2);
    return { token, refreshAt: started + Math.max(0, lifetimeMs - margin) };
  }
}

/** IAM's own words: `{errorCode, errorMessage}` (or `{errors: [...]}`, `{message}`). */
function iamMessage(body: Record<string, unknown>): string {
  const code = typeof body.errorCode === 'string' ? body.errorCode : '';
  const msg = typeof body.errorMessage === 'string' ? body.errorMessage : '';
  if (msg) return (code ? `${code}: ${msg}` : msg).slice(0, 300);
  if (typeof body.message === 'string') return body.message.slice(0, 300);
  return '';
}

function keyId(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('base64url');
}
