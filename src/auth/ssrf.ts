// SSRF guard for URLs that clients give us (webhooks, media by URL): the URL must be http(s) and
// every address its host resolves to must be public, unless ALLOW_PRIVATE_URLS says otherwise.
//
// Host parsing is left to the WHATWG URL parser, which is what fetch uses: it already turns
// `2130706433`, `0x7f.1` and `017700000001` into 127.0.0.1, so we judge exactly the address the
// request would go to. Names are resolved (all addresses, v4 and v6) and every one must pass;
// callers should re-check right before each delivery because DNS answers can change.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FleetError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Throws FLEET_URL_FORBIDDEN for a webhook URL that must not be called. */
    checkWebhookUrl: (url: string) => Promise<string[] | void>;
  }
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

interface Ranges {
  v4: BlockList;
  v6: BlockList;
}

/**
 * Special-purpose ranges (IANA registries) that must never be reached from a client URL. Two
 * lists, because one BlockList matches IPv4 addresses against IPv4-mapped/compatible IPv6 rules.
 */
function blockedRanges(): Ranges {
  const b = new BlockList();
  const v4: [string, number][] = [
    ['0.0.0.0', 8], // "this network", including 0.0.0.0
    ['10.0.0.0', 8], // private
    ['100.64.0.0', 10], // CGNAT
    ['127.0.0.0', 8], // loopback
    ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
    ['172.16.0.0', 12], // private
    ['192.0.0.0', 24], // IETF protocol assignments
    ['192.0.2.0', 24], // TEST-NET-1
    ['192.88.99.0', 24], // 6to4 relay anycast
    ['192.168.0.0', 16], // private
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24], // TEST-NET-2
    ['203.0.113.0', 24], // TEST-NET-3
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ];
  for (const [net, len] of v4) b.addSubnet(net, len, 'ipv4');
  const b6 = new BlockList();
  const v6: [string, number][] = [
    ['::', 128], // unspecified
    ['::1', 128], // loopback
    ['::ffff:0:0', 96], // IPv4-mapped
    ['::', 96], // IPv4-compatible (deprecated)
    ['64:ff9b::', 96], // NAT64
    ['64:ff9b:1::', 48], // local-use NAT64
    ['100::', 64], // discard
    ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID…)
    ['2001:db8::', 32], // documentation
    ['2002::', 16], // 6to4 (embeds any IPv4)
    ['fc00::', 7], // unique local
    ['fe80::', 10], // link-local
    ['fec0::', 10], // site-local (deprecated)
    ['ff00::', 8], // multicast
  ];
  for (const [net, len] of v6) b6.addSubnet(net, len, 'ipv6');
  return { v4: b, v6: b6 };
}

export interface UrlGuardOptions {
  allowPrivate: boolean;
  /** Injected in tests so they need no network. */
  resolve?: Resolver;
}

/** Why an address is refused, or null when it is public. */
export function refusedAddress(address: string, blocked: Ranges = blockedRanges()): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  const hit = family === 6 ? blocked.v6.check(address, 'ipv6') : blocked.v4.check(address, 'ipv4');
  return hit ? `${address} is not a public address` : null;
}

/**
 * Returns a checker that resolves when `url` may be called and throws FLEET_URL_FORBIDDEN (422)
 * otherwise. Returns the addresses it checked, so a caller can pin its connection to them.
 */
export function makeUrlGuard(opts: UrlGuardOptions): (url: string) => Promise<string[]> {
  const blocked = blockedRanges();
  const resolve = opts.resolve ?? systemResolver;
  return async (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw forbidden(`${raw} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw forbidden(`${url.protocol} URLs are not allowed; use http or https`);
    if (url.username || url.password) throw forbidden('URLs with credentials are not allowed');
    // IPv6 literals come bracketed from the URL parser.
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: string[];
    if (isIP(host) !== 0) {
      addresses = [host];
    } else {
      try {
        addresses = (await resolve(host)).map((a) => a.address);
      } catch (err) {
        throw forbidden(`${host} does not resolve (${(err as { code?: string }).code ?? 'lookup failed'})`);
      }
      if (addresses.length === 0) throw forbidden(`${host} does not resolve`);
    }
    if (opts.allowPrivate) return addresses;
    for (const a of addresses) {
      const why = refusedAddress(a, blocked);
      if (why) throw forbidden(`${host === a ? why : `${host} resolves to ${a}, which is not a public address`} (ALLOW_PRIVATE_URLS=true allows it)`);
    }
    return addresses;
  };
}

function forbidden(detail: string): FleetError {
  return new FleetError('FLEET_URL_FORBIDDEN', detail);
}
