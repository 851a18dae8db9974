import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from './webhook-address';

/** The most of an answer's body that is read and kept. */
export const RESPONSE_BODY_LIMIT = 1024;

export interface SendOutcome {
  /** The receiver's HTTP status; undefined when no answer came (then `error` says why). */
  status?: number;
  error?: string;
  durationMs: number;
  /** At most {@link RESPONSE_BODY_LIMIT} bytes of the answer, as text. */
  responseBody?: string;
}

export function succeeded(outcome: SendOutcome): boolean {
  return outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
}

/**
 * POSTs `body` to `url` once. Redirects are never followed (node:http does not; a 3xx is a failed
 * attempt), the name is resolved through a lookup that refuses private addresses at connect time
 * (unless `allowPrivate`), the whole exchange is bounded by `timeoutMs`, and at most 1 KB of the
 * answer is read. Never throws: failures come back as `error`.
 */
export function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowPrivate) as never,
      agent: false,
    });
    const timer = setTimeout(() => {
      finish({ error: `no answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ error: clip(err.message || err.code || 'request failed') }),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const text = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
        finish({ status: res.statusCode, responseBody: clean(text) });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (size >= RESPONSE_BODY_LIMIT) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_BODY_LIMIT) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.end(body);
  });
}

/** Text the database can keep: no NUL characters, at most 1,024 characters. */
function clean(text: string): string {
  return text.replace(/\0/g, '').slice(0, RESPONSE_BODY_LIMIT);
}

function clip(message: string): string {
  return clean(message);
}
