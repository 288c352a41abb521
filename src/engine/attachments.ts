/**
 * Turns the attachments of a turn into request parts for the upstream: images and videos become
 * `image_url` parts (the AceData API takes videos through image_url too, see
 * ../../docs/upstream-api.md), small text and source files are inlined as a fenced text part,
 * anything else is skipped with a sentence the user is shown. One attachment failing never fails
 * the others, and no file is read past its size cap.
 */
import { AttachmentError } from '../errors.js';
import type { AttachmentRef } from '../store/types.js';
import type { ContentPart } from '../upstream/types.js';
import { describeError } from './describe-error.js';
import { downloadCapped, formatBytes, mimeOf } from './download.js';
import { attachmentDownloads } from './download-limiter.js';
import { assertPassableUrl } from './outbound-policy.js';
import { isUtf8Text, sniffMediaType } from './sniff-type.js';
import type { AttachmentResolver, AttachmentSource } from './types.js';

export { downloadCapped } from './download.js';

export interface AttachmentLimits {
  /** Largest image or video, in bytes (ATTACHMENT_MAX_BYTES). */
  maxBytes: number;
  /** Largest text file that is inlined, in bytes (TEXT_ATTACHMENT_MAX_BYTES). */
  maxTextBytes: number;
  /** Per-download deadline (ATTACHMENT_TIMEOUT_MS). */
  timeoutMs: number;
  /**
   * `data` (default): media is sent as a base64 data: URL, the form the API documents as most
   * reliable. `url`: a public http(s) source without headers is passed through as is.
   */
  mode?: 'data' | 'url';
}

export interface ConvertedAttachments {
  /** In the order of the refs given, skipped ones left out. */
  parts: ContentPart[];
  /** `reason` is a sentence for the user, e.g. "report.pdf: this file type is not supported". */
  skipped: Array<{ name: string; reason: string }>;
}

export type AttachmentKind = 'media' | 'text' | 'unsupported' | 'too_large';

// Image types the API documents (png, jpeg, webp, heic, heif) plus gif, which Gemini reads.
const MEDIA_MIME: Record<string, string> = {
  'image/png': 'image/png',
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/webp': 'image/webp',
  'image/gif': 'image/gif',
  'image/heic': 'image/heic',
  'image/heif': 'image/heif',
  'video/mp4': 'video/mp4',
  'video/webm': 'video/webm',
  'video/quicktime': 'video/quicktime',
  'video/mov': 'video/quicktime',
  'video/mpeg': 'video/mpeg',
};

const MEDIA_EXTENSIONS: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
};

/** Text-like extensions and the fence language they get ('' = none). */
const TEXT_EXTENSIONS: Record<string, string> = {
  txt: '',
  log: '',
  md: 'markdown',
  markdown: 'markdown',
  csv: 'csv',
  tsv: '',
  json: 'json',
  jsonl: 'json',
  xml: 'xml',
  html: 'html',
  css: 'css',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  ini: 'ini',
  sql: 'sql',
  sh: 'sh',
  bash: 'bash',
  zsh: 'zsh',
  ps1: 'powershell',
  ts: 'ts',
  tsx: 'tsx',
  js: 'js',
  jsx: 'jsx',
  mjs: 'js',
  cjs: 'js',
  py: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  swift: 'swift',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
  lua: 'lua',
  r: 'r',
  scala: 'scala',
  dart: 'dart',
  vue: 'vue',
  svelte: 'svelte',
  diff: 'diff',
  patch: 'diff',
  env: '',
};

const TEXT_MIME_LANGUAGES: Record<string, string> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'application/toml': 'toml',
  'application/sql': 'sql',
  'application/x-sh': 'sh',
  'application/javascript': 'js',
  'application/typescript': 'ts',
  'text/markdown': 'markdown',
  'text/csv': 'csv',
  'text/html': 'html',
  'text/x-python': 'python',
};

// A turn converts a few attachments at a time (resolver calls included); the downloads themselves
// also wait for the process-wide limit in download-limiter.ts.
const PARALLEL_DOWNLOADS = 3;

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * A MIME type for a file name, for files that arrive without one (local paths, some platform
 * uploads): media by extension, text-like files as text, anything else as octet-stream.
 */
export function mimeTypeFromName(name: string): string {
  const extension = extensionOf(name);
  if (MEDIA_EXTENSIONS[extension]) return MEDIA_EXTENSIONS[extension];
  if (extension === 'json') return 'application/json';
  if (extension === 'md' || extension === 'markdown') return 'text/markdown';
  return extension in TEXT_EXTENSIONS ? 'text/plain' : 'application/octet-stream';
}

/** The media MIME type a ref stands for, by its MIME type first, then its extension. */
function mediaMimeOf(ref: AttachmentRef): string | undefined {
  return MEDIA_MIME[mimeOf(ref.mimeType) ?? ''] ?? MEDIA_EXTENSIONS[extensionOf(ref.name)];
}

function isTextRef(ref: AttachmentRef): boolean {
  const mime = mimeOf(ref.mimeType) ?? '';
  return mime.startsWith('text/') || mime in TEXT_MIME_LANGUAGES || extensionOf(ref.name) in TEXT_EXTENSIONS;
}

/** How a note in the request names an attachment it leaves out: image, video or file. */
export function attachmentNoun(ref: AttachmentRef): 'image' | 'video' | 'file' {
  const media = mediaMimeOf(ref);
  if (!media) return 'file';
  return media.startsWith('video/') ? 'video' : 'image';
}

/** What will be done with an attachment, judged from its type and announced size alone. */
export function classifyAttachment(
  ref: AttachmentRef,
  limits: Pick<AttachmentLimits, 'maxBytes' | 'maxTextBytes'>,
): AttachmentKind {
  if (mediaMimeOf(ref)) return ref.size > limits.maxBytes ? 'too_large' : 'media';
  if (isTextRef(ref)) return ref.size > limits.maxTextBytes ? 'too_large' : 'text';
  return 'unsupported';
}

/**
 * Converts every ref it can; the rest are listed in `skipped` with the reason. Throws only when
 * `signal` aborts (the turn was cancelled). `byteCaps[i]`, when given, lowers the size cap of
 * `refs[i]` to what the request's attachment budget reserved for it.
 */
export async function convertAttachments(
  refs: AttachmentRef[],
  resolve: AttachmentResolver,
  limits: AttachmentLimits,
  signal?: AbortSignal,
  byteCaps?: readonly number[],
): Promise<ConvertedAttachments> {
  const results: Array<ContentPart | { name: string; reason: string }> = new Array(refs.length);
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const index = next++;
      const ref = refs[index]!;
      try {
        results[index] = await convertOne(ref, resolve, limits, signal, byteCaps?.[index]);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        results[index] = { name: ref.name, reason: reasonFor(ref, error, limits, byteCaps?.[index]) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, refs.length) }, worker));
  const converted: ConvertedAttachments = { parts: [], skipped: [] };
  for (const result of results) {
    if ('type' in result) converted.parts.push(result);
    else converted.skipped.push(result);
  }
  return converted;
}

async function convertOne(
  ref: AttachmentRef,
  resolve: AttachmentResolver,
  limits: AttachmentLimits,
  signal: AbortSignal | undefined,
  byteCap = Number.POSITIVE_INFINITY,
): Promise<ContentPart> {
  const kind = classifyAttachment(ref, limits);
  if (kind === 'unsupported') throw new AttachmentError('unsupported', ref.name, 'unsupported type');
  if (kind === 'too_large') throw new AttachmentError('too_large', ref.name, 'announced size over the cap');
  const source = await resolveSource(ref, resolve, signal);
  if (kind === 'media') {
    if (limits.mode === 'url' && /^https?:/i.test(source.url) && !source.headers) {
      await assertPassableUrl(source.url, source.policy, ref.name);
      return { type: 'image_url', image_url: { url: source.url } };
    }
    const announced = mediaMimeOf(ref)!;
    const file = await attachmentDownloads.run(
      () =>
        downloadCapped(source, {
          maxBytes: Math.min(limits.maxBytes, byteCap),
          timeoutMs: limits.timeoutMs,
          signal,
          expectMime: announced,
          name: ref.name,
        }),
      signal,
    );
    // The bytes decide, not the name or a header: an HTML page called cat.png is not an image.
    const mime = sniffMediaType(file.bytes);
    if (!mime) throw new AttachmentError('content_mismatch', ref.name, 'bytes are not a known media type');
    return { type: 'image_url', image_url: { url: `data:${mime};base64,${file.bytes.toString('base64')}` } };
  }
  const file = await attachmentDownloads.run(
    () =>
      downloadCapped(source, {
        maxBytes: Math.min(limits.maxTextBytes, byteCap),
        timeoutMs: limits.timeoutMs,
        signal,
        expectMime: mimeOf(ref.mimeType),
        name: ref.name,
      }),
    signal,
  );
  return { type: 'text', text: inlineText(ref, file.bytes) };
}

async function resolveSource(
  ref: AttachmentRef,
  resolve: AttachmentResolver,
  signal: AbortSignal | undefined,
): Promise<AttachmentSource> {
  try {
    return await resolve(ref, signal);
  } catch (error) {
    if (error instanceof AttachmentError || signal?.aborted) throw error;
    throw new AttachmentError('download_failed', ref.name, `could not resolve ${ref.name}`, { cause: error });
  }
}

/** `File <name>:` and the content in a fence longer than any backtick run inside it. */
function inlineText(ref: AttachmentRef, bytes: Buffer): string {
  if (!isUtf8Text(bytes)) throw new AttachmentError('content_mismatch', ref.name, 'text is not UTF-8');
  let text = new TextDecoder('utf-8').decode(bytes); // drops a BOM (invalid UTF-8 was refused above)
  if (text.includes('\u0000')) {
    throw new AttachmentError('unsupported', ref.name, 'binary content in a text file');
  }
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  const language =
    TEXT_EXTENSIONS[extensionOf(ref.name)] ?? TEXT_MIME_LANGUAGES[mimeOf(ref.mimeType) ?? ''] ?? '';
  return `File ${ref.name}:\n${fence}${language}\n${text}\n${fence}`;
}

/** The sentence the user is shown for a skipped attachment; `byteCap` as in `convertAttachments`. */
function reasonFor(
  ref: AttachmentRef,
  error: unknown,
  limits: AttachmentLimits,
  byteCap = Number.POSITIVE_INFINITY,
): string {
  const code = error instanceof AttachmentError ? error.code : 'download_failed';
  switch (code) {
    case 'unsupported':
      return `${ref.name}: this file type is not supported`;
    case 'too_large': {
      const limit = Math.min(mediaMimeOf(ref) ? limits.maxBytes : limits.maxTextBytes, byteCap);
      return `${ref.name}: this file is too large (the limit is ${formatBytes(limit)})`;
    }
    case 'not_a_file':
    case 'download_failed':
      return `${ref.name}: could not be downloaded`;
    case 'blocked':
    case 'content_mismatch':
      return describeError(error);
  }
}
