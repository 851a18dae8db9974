// REST client for /api: JSON in and out, the bearer token from localStorage, errors as ApiError.

const TOKEN_KEY = 'qunest.token';

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // private mode: the token lives for this page only
  }
}

/** An answer of 4xx/5xx: `body` is the API's {statusCode, error, message, ...} when it sent one. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
  }

  /** One line for people: the message, plus line/column of a refused program. */
  describe() {
    const b = this.body;
    let text = `${this.status} ${b.error ?? ''}: ${this.message}`.replace(/\s+:/, ':');
    if (b.line !== undefined && !this.message.includes(`line ${b.line}`)) {
      text += ` (line ${b.line}${b.column !== undefined ? `, column ${b.column}` : ''}`;
      text += ')';
    }
    return text;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, { error: 'Network error', message: `the API cannot be reached (${err.message})` });
  }
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** The claims of a JWT, unverified (for display only: the server decides). */
export function claimsOf(token) {
  try {
    const part = token.split('.')[1];
    const binary = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    return undefined;
  }
}
