/**
 * The attachment CDN: signed URLs in Discord's shape (`ex` = expiry, `is` = issued, both hex unix
 * seconds, `hm` = an HMAC over path + ex + is) that serve bytes only while unexpired, plus the
 * `POST /attachments/refresh-urls` logic that hands out fresh ones. Real Discord URLs expire after
 * about a day (../../../docs/platform-limits.md); tests make them expire by advancing the
 * emulator's clock or with `expireAll()`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state.js';

/** How long a signed URL stays valid, as on Discord. */
export const CDN_URL_LIFETIME_MS = 24 * 60 * 60 * 1000;

interface StoredFile {
  bytes: Buffer;
  contentType: string;
}

export class AttachmentCdn {
  private readonly secret = randomBytes(16);
  private readonly files = new Map<string, StoredFile>();
  /** Signatures revoked by `expireAll()`, as if a day had passed for them. */
  private readonly revoked = new Set<string>();
  /** Every CDN download attempt: path and whether it was served. */
  readonly downloads: Array<{ path: string; status: number }> = [];

  constructor(
    private readonly baseUrl: () => string,
    private readonly state: EmulatorState,
  ) {}

  /** Stores bytes and returns the unsigned CDN path of the file. */
  put(channelId: string, attachmentId: string, filename: string, bytes: Buffer, contentType: string): string {
    const path = `/attachments/${channelId}/${attachmentId}/${encodeURIComponent(filename)}`;
    this.files.set(path, { bytes, contentType });
    return path;
  }

  /** A freshly signed URL for a stored path. */
  sign(path: string): string {
    const issued = this.state.now();
    // Milliseconds are folded into the signature input so two URLs signed in one second differ.
    const nonce = randomBytes(4).toString('hex');
    const ex = Math.floor((issued + CDN_URL_LIFETIME_MS) / 1000).toString(16);
    const is = Math.floor(issued / 1000).toString(16);
    const hm = this.signature(path, ex, is, nonce);
    return `${this.baseUrl()}/cdn${path}?ex=${ex}&is=${is}&hm=${hm}${nonce}`;
  }

  /** Revokes every URL handed out so far (newly refreshed ones stay valid). */
  expireAll(): void {
    for (const message of this.state.messages.values()) {
      for (const attachment of message.attachments) {
        const hm = new URL(attachment.url).searchParams.get('hm');
        if (hm) this.revoked.add(hm);
      }
    }
  }

  /** Body of `POST /attachments/refresh-urls`: fresh URLs for the ones we recognise. */
  refresh(urls: string[]): { refreshed_urls: Array<{ original: string; refreshed: string }> } {
    const refreshed_urls: Array<{ original: string; refreshed: string }> = [];
    for (const original of urls) {
      const path = this.pathOf(original);
      if (path && this.files.has(path)) refreshed_urls.push({ original, refreshed: this.sign(path) });
    }
    return { refreshed_urls };
  }

  /** Serves `GET /cdn/...`: 404 for unknown files, bad signatures or expired URLs, like Discord. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://cdn');
    const path = url.pathname.replace(/^\/cdn/, '');
    const status = this.check(path, url.searchParams);
    this.downloads.push({ path, status });
    const file = this.files.get(path);
    if (status !== 200 || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('This content is no longer available.');
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private check(path: string, params: URLSearchParams): number {
    const ex = params.get('ex');
    const is = params.get('is');
    const hm = params.get('hm');
    if (!ex || !is || !hm || hm.length < 8 || !this.files.has(path)) return 404;
    const nonce = hm.slice(-8);
    if (this.signature(path, ex, is, nonce) + nonce !== hm) return 403;
    if (this.revoked.has(hm)) return 410;
    if (Number.parseInt(ex, 16) * 1000 <= this.state.now()) return 410;
    return 200;
  }

  private pathOf(url: string): string | undefined {
    try {
      const parsed = new URL(url);
      return parsed.pathname.startsWith('/cdn/') ? parsed.pathname.slice(4) : undefined;
    } catch {
      return undefined;
    }
  }

  private signature(path: string, ex: string, is: string, nonce: string): string {
    return createHmac('sha256', this.secret)
      .update(`${path}|${ex}|${is}|${nonce}`)
      .digest('hex')
      .slice(0, 32);
  }
}
