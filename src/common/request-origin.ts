import { hostname as machineName } from 'node:os';
import { isIP } from 'node:net';
import type { AppConfig } from '../config/app-config';

/**
 * Who may talk to Qunest from a browser (issue #15): the rules shared by HTTP (common/http-hardening)
 * and the socket.io handshake (realtime/origin-check). Browsers send `Origin` with every cross-site
 * request that can change something and with every websocket, and a page cannot forge it or `Host`;
 * clients that are not browsers (curl, servers, tests) send no Origin and are not what this guards.
 *
 * - **Origin.** None: passes. The request's own origin (its host:port equals the Host header, http or
 *   https, so a TLS-terminating proxy that keeps Host works): passes; that is the admin UI. Listed in
 *   CORS_ORIGINS (or CORS_ORIGINS=*, only with a key source): passes, with CORS headers. Anything
 *   else, `null` included: refused for sockets and for state-changing methods.
 * - **Host (DNS rebinding).** In open mode, or whenever ALLOWED_HOSTS is set, the Host header's name
 *   (port ignored) must be allowed. Defaults: localhost names, IP address literals (a rebinding page
 *   is always reached through the attacker's DNS name, so a literal address means the browser went to
 *   that address itself), HOST when it is a specific address, and the machine's name.
 */
export class RequestOriginPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  /** Names the Host header may carry; undefined: Host is not checked. */
  private readonly hosts?: ReadonlySet<string>;
  private readonly anyIpLiteral: boolean;

  constructor(options: {
    corsOrigins: readonly string[];
    allowedHosts?: readonly string[];
    checkHost: boolean;
    host: string;
  }) {
    this.anyOrigin = options.corsOrigins.includes('*');
    this.origins = new Set(options.corsOrigins);
    const explicit = options.allowedHosts;
    if (explicit !== undefined) {
      this.hosts = explicit.includes('*') ? undefined : new Set(explicit);
      this.anyIpLiteral = false;
    } else if (options.checkHost) {
      this.hosts = new Set(defaultAllowedHosts(options.host));
      this.anyIpLiteral = true;
    } else {
      this.anyIpLiteral = false;
    }
  }

  static fromConfig(config: AppConfig): RequestOriginPolicy {
    const openMode = !config.auth.jwtSecret && !config.auth.jwksUrl;
    return new RequestOriginPolicy({
      corsOrigins: config.corsOrigins ?? [],
      allowedHosts: config.allowedHosts,
      checkHost: openMode,
      host: config.host,
    });
  }

  /** Whether the Host header is checked at all (open mode or ALLOWED_HOSTS set, and not `*`). */
  get checksHost(): boolean {
    return this.hosts !== undefined;
  }

  /**
   * Why the Host header is refused, or undefined when it may pass. A request without Host (HTTP/1.0,
   * some probes) passes: browsers always send one, and only browsers can be rebound.
   */
  hostProblem(host: string | undefined): string | undefined {
    if (!this.hosts || host === undefined || host === '') return undefined;
    const name = hostName(host);
    if (name !== undefined && (this.hosts.has(name) || (this.anyIpLiteral && isIP(name.replace(/^\[|\]$/g, '')) !== 0)))
      return undefined;
    return `Host '${clip(host)}' is not allowed; list its name in ALLOWED_HOSTS`;
  }

  /**
   * How an Origin header relates to the request: `none` (no header), `same` (the request's own origin),
   * `listed` (another origin CORS_ORIGINS admits: answer with CORS headers) or `refused`.
   */
  classify(origin: string | undefined, host: string | undefined): 'none' | 'same' | 'listed' | 'refused' {
    if (origin === undefined || origin === '') return 'none';
    if (isSameOrigin(origin, host)) return 'same';
    if (this.anyOrigin || this.origins.has(origin)) return 'listed';
    return 'refused';
  }

  /** The refusal message for an origin (classify gave `refused`). */
  static originProblem(origin: string): string {
    return `Origin '${clip(origin)}' is not allowed; list it in CORS_ORIGINS`;
  }
}

/** localhost, 127.0.0.1, [::1], HOST when it names one address, and the machine's name, lower case. */
export function defaultAllowedHosts(host: string): string[] {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  const bound = hostName(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  if (bound && bound !== '0.0.0.0' && bound !== '[::]') names.push(bound);
  const machine = hostName(machineName());
  if (machine) names.push(machine);
  return [...new Set(names)];
}

/** The name of a Host header value (`example.com:3000` -> `example.com`, `[::1]:3000` -> `[::1]`), lower case. */
function hostName(host: string): string | undefined {
  const u = hostUrl('http:', host);
  return u?.hostname.replace(/\.$/, '');
}

/** `scheme//host` as a URL when host is host[:port] and nothing more (no path, user, query, spaces). */
function hostUrl(scheme: string, host: string): URL | undefined {
  if (!/^[^/\\?#@\s]+$/.test(host)) return undefined;
  try {
    return new URL(`${scheme}//${host}`);
  } catch {
    return undefined;
  }
}

/** Origin's host:port equals the Host header (the scheme may be http or https: TLS may end at a proxy). */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  if (o.origin !== origin.toLowerCase()) return false;
  return hostUrl(o.protocol, host)?.origin === o.origin;
}

/** At most 100 characters of a header, for a message. */
function clip(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
