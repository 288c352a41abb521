/**
 * Downloading one attachment with a hard byte cap and a deadline. The cap is enforced while the
 * bytes stream in, not from the Content-Length header alone: a server that lies about the size,
 * or sends none, is cut off as soon as the count passes the cap, so a huge file is never held
 * whole in memory. Every download goes through the source's outbound policy (outbound-policy.ts):
 * allowed hosts, no private addresses, redirects checked hop by hop, headers bound to their origin.
 * file:// URLs are read from disk under the same cap, only when the policy allows them (console).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttachmentError } from '../errors.js';
import { assertUrlAllowed, fetchWithPolicy } from './outbound-policy.js';
import type { AttachmentSource } from './types.js';

export interface DownloadOptions {
  /** More bytes than this is an `AttachmentError` with code `too_large`. */
  maxBytes: number;
  /** The whole download (headers and body) must finish within this time. */
  timeoutMs: number;
  /** The turn was cancelled: the download stops and the signal's reason is thrown. */
  signal?: AbortSignal;
  /** The MIME type the platform announced; an HTML answer for a non-HTML file is refused. */
  expectMime?: string;
  /** The file's name, for error messages; defaults to the URL's last path segment. */
  name?: string;
}

export interface DownloadedFile {
  bytes: Buffer;
  /** From the response (parameters stripped), else `expectMime`, else application/octet-stream. */
  contentType: string;
}

/**
 * Downloads `source` into memory, at most `maxBytes`, under `source.policy`. Throws `AttachmentError`
 * (`too_large`, `download_failed`, `blocked`) for every failure except a cancellation through `signal`.
 */
export async function downloadCapped(
  source: AttachmentSource,
  options: DownloadOptions,
): Promise<DownloadedFile> {
  const name = options.name ?? nameFromUrl(source.url);
  options.signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const onCancel = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onCancel, { once: true });
  try {
    assertUrlAllowed(source.url, source.policy, name);
    return source.url.startsWith('file:')
      ? await readFileCapped(source.url, name, options, controller.signal)
      : await fetchCapped(source, name, options, controller.signal);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof AttachmentError) throw error;
    const reason = timedOut ? `timed out after ${options.timeoutMs} ms` : describeCause(error);
    throw new AttachmentError('download_failed', name, `${name} could not be downloaded: ${reason}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCancel);
    // Whatever is still open (a body left unread after an error) is torn down with its socket.
    controller.abort();
  }
}

async function fetchCapped(
  source: AttachmentSource,
  name: string,
  options: DownloadOptions,
  signal: AbortSignal,
): Promise<DownloadedFile> {
  if (!/^https?:/i.test(source.url)) {
    throw new AttachmentError('not_a_file', name, `${name} has no downloadable URL`);
  }
  const response = await fetchWithPolicy({
    url: source.url,
    ...(source.headers ? { headers: source.headers } : {}),
    ...(source.policy ? { policy: source.policy } : {}),
    name,
    signal,
  });
  try {
    if (!response.ok) {
      throw new AttachmentError(
        'download_failed',
        name,
        `${name} could not be downloaded: HTTP ${response.status}`,
      );
    }
    const contentType =
      mimeOf(response.headers.get('content-type')) ?? options.expectMime ?? 'application/octet-stream';
    // Slack answers a file URL with a 200 HTML login page when the token cannot read files.
    if (contentType === 'text/html' && mimeOf(options.expectMime) !== 'text/html') {
      throw new AttachmentError(
        'download_failed',
        name,
        `${name} could not be downloaded: the server sent an HTML page instead of the file`,
      );
    }
    const announced = Number(response.headers.get('content-length') ?? Number.NaN);
    if (announced > options.maxBytes) throw tooLarge(name, announced, options.maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        total += chunk.byteLength;
        if (total > options.maxBytes) throw tooLarge(name, Number.NaN, options.maxBytes);
        chunks.push(Buffer.from(chunk));
      }
    }
    return { bytes: Buffer.concat(chunks, total), contentType };
  } finally {
    // Stops the transfer (and frees the socket) when we leave before the end of the body.
    if (response.body && !response.bodyUsed) await response.body.cancel().catch(() => undefined);
  }
}

async function readFileCapped(
  url: string,
  name: string,
  options: DownloadOptions,
  signal: AbortSignal,
): Promise<DownloadedFile> {
  const path = fileURLToPath(url);
  const info = await stat(path);
  if (!info.isFile()) throw new AttachmentError('not_a_file', name, `${name} is not a file`);
  if (info.size > options.maxBytes) throw tooLarge(name, info.size, options.maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  // The file may grow after stat: count while reading, as for a download.
  for await (const chunk of createReadStream(path, { signal })) {
    const buffer = chunk as Buffer;
    total += buffer.byteLength;
    if (total > options.maxBytes) throw tooLarge(name, Number.NaN, options.maxBytes);
    chunks.push(buffer);
  }
  return {
    bytes: Buffer.concat(chunks, total),
    contentType: mimeOf(options.expectMime) ?? 'application/octet-stream',
  };
}

/** "image/PNG; charset=x" → "image/png"; undefined for a missing or empty value. */
export function mimeOf(value: string | null | undefined): string | undefined {
  const mime = value?.split(';')[0]?.trim().toLowerCase();
  return mime ? mime : undefined;
}

/** A size for people: "1.5 MB", "200 KB", "12 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

function tooLarge(name: string, size: number, limit: number): AttachmentError {
  const seen = Number.isFinite(size) ? `${formatBytes(size)}; ` : '';
  return new AttachmentError(
    'too_large',
    name,
    `${name} is too large (${seen}the limit is ${formatBytes(limit)})`,
  );
}

function nameFromUrl(url: string): string {
  try {
    return decodeURIComponent(basename(new URL(url).pathname)) || 'attachment';
  } catch {
    return 'attachment';
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
