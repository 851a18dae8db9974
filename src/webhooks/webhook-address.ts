import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may point. Only http(s) URLs, and only to public addresses: a name that resolves to
 * loopback, private, shared (CGNAT), link-local, unique-local, multicast or otherwise reserved
 * addresses (IPv4 and IPv6, IPv4-mapped and NAT64 forms included) is refused, unless private
 * addresses are allowed (WEBHOOK_ALLOW_PRIVATE, for tests and private networks). Checked when the
 * webhook is created and again at every delivery, at connect time (the address actually dialled).
 */

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible, NAT64 64:ff9b::/96). */
function embeddedIpv4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** True for an address a webhook may not reach without WEBHOOK_ALLOW_PRIVATE (also for anything that is not an IP). */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return BLOCKED.check(ip, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(ip);
  if (v4 !== null) return isPrivateAddress(v4);
  return BLOCKED.check(ip, 'ipv6');
}

export class WebhookUrlError extends Error {}

/** Parses a webhook URL: http(s) only, with a host, no credentials. Throws WebhookUrlError saying why. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('url is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlError(`url must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (!url.hostname) throw new WebhookUrlError('url has no host');
  if (url.username || url.password) throw new WebhookUrlError('url must not carry credentials');
  return url;
}

/** The host of a URL as an address or a name to resolve (IPv6 literals lose their brackets). */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export type Resolve = (host: string) => Promise<string[]>;

/** Longest a name may take to resolve when a webhook is checked. */
const RESOLVE_TIMEOUT_MS = 5000;

/** Every address a name resolves to (the system resolver, as connections use), within 5 s. */
export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), RESOLVE_TIMEOUT_MS);
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(addresses.map((a) => a.address));
    });
  });

/**
 * Checks that `raw` is an allowed webhook URL and, unless `allowPrivate`, that every address its host
 * resolves to is public. Throws WebhookUrlError naming the problem; answers the URL.
 */
export async function checkWebhookUrl(
  raw: string,
  options: { allowPrivate: boolean; resolve?: Resolve },
): Promise<URL> {
  const url = parseWebhookUrl(raw);
  if (options.allowPrivate) return url;
  const host = urlHost(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (options.resolve ?? systemResolve)(host);
    } catch {
      throw new WebhookUrlError(`url's host ${host} does not resolve`);
    }
    if (addresses.length === 0) throw new WebhookUrlError(`url's host ${host} does not resolve`);
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked !== undefined)
    throw new WebhookUrlError(
      `url's host ${host} resolves to ${blocked}, a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)`,
    );
  return url;
}

/**
 * A `lookup` for node:http(s) that refuses private addresses at connect time, so that a name which
 * resolves differently between the check and the connection (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      if (!allowPrivate) {
        const blocked = addresses.find((a) => isPrivateAddress(a.address));
        if (blocked)
          return callback(
            Object.assign(new Error(`${hostname} resolves to ${blocked.address}, a private address`), {
              code: 'EADDRNOTALLOWED',
            }),
            [],
          );
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0];
      callback(null, first.address, first.family);
    });
  };
}
