/**
 * The one outbound-fetch policy every attachment download goes through. A chat message names a URL
 * the bot then fetches from inside its own network, with a platform token attached: without rules
 * that is a way to read internal services (SSRF) and to hand the token to a stranger. So:
 * - a source says which origins its bytes may come from, and which origins may see its headers;
 * - loopback, private, link-local and metadata addresses are refused where the socket connects,
 *   after DNS resolution (so a name that rebinds to 127.0.0.1 is caught), unless the origin is
 *   the configured platform API origin (GovSlack, a proxy, the emulators in tests);
 * - redirects are followed by hand, each hop checked again, and headers never cross origins;
 * - file: URLs only where the source allows them (the console adapter).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, fetch, type Response } from 'undici';
import { AttachmentError } from '../errors.js';

/** Where an attachment may be fetched from; carried by the `AttachmentSource` an adapter returns. */
export interface OutboundPolicy {
  /**
   * Origins (`https://files.slack.com`) the bytes may come from, on every redirect hop.
   * Undefined: any public http(s) host. Empty: no web download at all.
   */
  allowedOrigins?: readonly string[];
  /** Origins that may receive the source's `headers` (its platform token). Others never do. */
  credentialOrigins?: readonly string[];
  /** Origins exempt from the address check: the configured platform API origin, nothing else. */
  trustedOrigins?: readonly string[];
  /** `file:` URLs are read (the console adapter only). */
  allowFileUrls?: boolean;
}

/** At most this many redirects are followed for one download. */
export const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const BLOCKED_NETWORKS = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['100.64.0.0', 10], // carrier-grade NAT, also used for metadata on some clouds
] as const) {
  BLOCKED_NETWORKS.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  BLOCKED_NETWORKS.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local and metadata addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return false;
  return BLOCKED_NETWORKS.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** Marks a connection the address check refused; the download turns it into `blocked`. */
class BlockedAddressError extends Error {
  readonly code = 'EADDRBLOCKED';
}

/**
 * A `lookup` for net/tls.connect that resolves as usual, then refuses the connection when any
 * resolved address is private. It runs at connect time, so what is checked is what is dialled.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const blocked = addresses.find((entry) => isPrivateAddress(entry.address));
    if (blocked) {
      return callback(new BlockedAddressError(`${hostname} resolves to a private address`), '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

let guardedAgent: Agent | undefined;

/** The dispatcher for every host that is not a trusted origin. */
function guardedDispatcher(): Agent {
  guardedAgent ??= new Agent({ connect: { lookup: guardedLookup } });
  return guardedAgent;
}

function blocked(name: string, why: string): AttachmentError {
  return new AttachmentError('blocked', name, `${name} was not downloaded: ${why}`);
}

/**
 * Throws `AttachmentError('blocked')` unless `url` may be fetched (or passed on) under `policy`:
 * its scheme, its origin, and an IP literal host's address. Names are checked when connecting.
 */
export function assertUrlAllowed(url: string, policy: OutboundPolicy = {}, name = 'attachment'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw blocked(name, 'the address is not a valid URL');
  }
  if (parsed.protocol === 'file:') {
    if (policy.allowFileUrls) return parsed;
    throw blocked(name, 'file: URLs are read only for the console');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw blocked(name, `${parsed.protocol} URLs are not downloaded`);
  }
  if (parsed.username || parsed.password) throw blocked(name, 'URLs with credentials are not downloaded');
  if (policy.allowedOrigins && !policy.allowedOrigins.includes(parsed.origin)) {
    throw blocked(name, `${parsed.host} is not one of this platform's file hosts`);
  }
  if (!isTrusted(parsed, policy) && isPrivateAddress(parsed.hostname)) {
    throw blocked(name, `${parsed.host} is a private address`);
  }
  return parsed;
}

/**
 * For `mode: 'url'`: a URL handed to the upstream is not fetched by us, so its name is resolved
 * here and every address must be public (the same rules as a download, checked ahead of time).
 */
export async function assertPassableUrl(url: string, policy: OutboundPolicy = {}, name = 'attachment') {
  const parsed = assertUrlAllowed(url, policy, name);
  if (parsed.protocol === 'file:') throw blocked(name, 'a file: URL cannot be passed on');
  if (isTrusted(parsed, policy) || isIP(parsed.hostname.replace(/^\[|\]$/g, ''))) return;
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(parsed.hostname, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
  ).catch(() => {
    throw blocked(name, `${parsed.hostname} does not resolve`);
  });
  if (addresses.some((entry) => isPrivateAddress(entry.address))) {
    throw blocked(name, `${parsed.hostname} resolves to a private address`);
  }
}

function isTrusted(url: URL, policy: OutboundPolicy): boolean {
  return policy.trustedOrigins?.includes(url.origin) ?? false;
}

export interface PolicyFetchRequest {
  url: string;
  headers?: Record<string, string>;
  policy?: OutboundPolicy;
  /** For error messages. */
  name: string;
  signal: AbortSignal;
}

/**
 * GETs `request.url` under its policy, following at most `MAX_REDIRECTS` redirects by hand: every
 * hop is checked like the first, and the headers go only to a credential origin that is also the
 * origin of the first URL. Returns the final, non-redirect response (any status).
 */
export async function fetchWithPolicy(request: PolicyFetchRequest): Promise<Response> {
  const { policy = {}, name } = request;
  const first = assertUrlAllowed(request.url, policy, name);
  if (first.protocol === 'file:') throw blocked(name, 'a file: URL is not fetched over the network');
  if (request.headers && !policy.credentialOrigins?.includes(first.origin)) {
    throw blocked(name, `its credentials may not be sent to ${first.host}`);
  }
  let url = first;
  for (let hop = 0; ; hop++) {
    const sendHeaders = request.headers !== undefined && url.origin === first.origin;
    const response = await fetchOnce(url, sendHeaders ? request.headers : undefined, policy, request);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || !location) return response;
    await response.body?.cancel().catch(() => undefined);
    if (hop >= MAX_REDIRECTS) throw blocked(name, `more than ${MAX_REDIRECTS} redirects`);
    url = assertUrlAllowed(new URL(location, url).href, policy, name);
    if (url.protocol === 'file:') throw blocked(name, 'a redirect to a file: URL');
  }
}

async function fetchOnce(
  url: URL,
  headers: Record<string, string> | undefined,
  policy: OutboundPolicy,
  request: PolicyFetchRequest,
): Promise<Response> {
  try {
    return await fetch(url, {
      ...(headers ? { headers } : {}),
      signal: request.signal,
      redirect: 'manual',
      ...(isTrusted(url, policy) ? {} : { dispatcher: guardedDispatcher() }),
    });
  } catch (error) {
    if ((error as { cause?: unknown }).cause instanceof BlockedAddressError) {
      throw blocked(request.name, `${url.hostname} resolves to a private address`);
    }
    throw error;
  }
}
