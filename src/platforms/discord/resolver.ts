/**
 * Turns a stored Discord attachment reference into a URL that works now. Discord CDN URLs are
 * signed and expire after about a day (`ex` = expiry in hex unix seconds), so a thread resumed days
 * later would send dead links: a URL close to expiry is exchanged through
 * `POST /attachments/refresh-urls`, and a reference without a usable URL is looked up again on its
 * message (`location`). The engine's converter then downloads the bytes (size-capped), from
 * Discord's CDN hosts only (or the DISCORD_API_URL origin): a URL anywhere else is refused.
 */
import type { REST } from 'discord.js';
import type { OutboundPolicy } from '../../engine/outbound-policy.js';
import type { AttachmentResolver, AttachmentSource } from '../../engine/types.js';
import { AttachmentError } from '../../errors.js';
import type { AttachmentRef } from '../../store/types.js';

/** Refresh a URL this long before it expires, so it survives the download that follows. */
const REFRESH_MARGIN_MS = 10 * 60 * 1000;

/** Where Discord serves attachments. */
export const DISCORD_CDN_ORIGINS = ['https://cdn.discordapp.com', 'https://media.discordapp.net'] as const;

export interface DiscordResolverOptions {
  /** discord.js's REST client (the bot's token and API base). */
  rest: Pick<REST, 'post' | 'get'>;
  /** DISCORD_API_URL when set: its origin serves attachments too (a proxy, the emulator in tests). */
  apiUrl?: string | undefined;
  /** Clock, for tests that age URLs; defaults to Date.now. */
  now?: () => number;
}

/** When a signed CDN URL expires (ms), or undefined for URLs without Discord's `ex` parameter. */
export function signedUrlExpiry(url: string): number | undefined {
  try {
    const ex = new URL(url).searchParams.get('ex');
    if (!ex || !/^[0-9a-f]+$/i.test(ex)) return undefined;
    return Number.parseInt(ex, 16) * 1000;
  } catch {
    return undefined;
  }
}

/** Builds the resolver the engine calls for `platform: 'discord'` references. */
export function createDiscordResolver(options: DiscordResolverOptions): AttachmentResolver {
  const now = options.now ?? Date.now;
  const apiOrigin = options.apiUrl ? new URL(options.apiUrl).origin : undefined;
  const policy: OutboundPolicy = {
    allowedOrigins: apiOrigin ? [...DISCORD_CDN_ORIGINS, apiOrigin] : [...DISCORD_CDN_ORIGINS],
    trustedOrigins: apiOrigin ? [apiOrigin] : [],
  };
  return async (ref: AttachmentRef, signal?: AbortSignal): Promise<AttachmentSource> => {
    signal?.throwIfAborted();
    if (ref.url) {
      const expiry = signedUrlExpiry(ref.url);
      if (expiry === undefined || expiry - now() > REFRESH_MARGIN_MS) return { url: ref.url, policy };
      const refreshed = await refreshUrl(options.rest, ref.url).catch(() => undefined);
      if (refreshed) return { url: refreshed, policy };
    }
    const fromMessage = await urlFromMessage(options.rest, ref).catch(() => undefined);
    if (fromMessage) return { url: fromMessage, policy };
    throw new AttachmentError(
      'download_failed',
      ref.name,
      `The file "${ref.name}" is no longer available on Discord.`,
    );
  };
}

/** `POST /attachments/refresh-urls` for one URL; undefined when Discord does not know it. */
async function refreshUrl(rest: DiscordResolverOptions['rest'], url: string): Promise<string | undefined> {
  const body = (await rest.post('/attachments/refresh-urls', { body: { attachment_urls: [url] } })) as {
    refreshed_urls?: Array<{ original: string; refreshed: string }>;
  };
  return body.refreshed_urls?.find((entry) => entry.original === url)?.refreshed;
}

/** Reads the message again (its attachments come with freshly signed URLs). */
async function urlFromMessage(
  rest: DiscordResolverOptions['rest'],
  ref: AttachmentRef,
): Promise<string | undefined> {
  if (!ref.location) return undefined;
  const message = (await rest.get(`/channels/${ref.location.channel}/messages/${ref.location.message}`)) as {
    attachments?: Array<{ id: string; url: string }>;
  };
  return message.attachments?.find((attachment) => attachment.id === ref.id)?.url;
}
