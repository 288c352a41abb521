/**
 * The emulator's answer when no script is queued and no responder is installed: a deterministic
 * echo, so tests of other parts know exactly what text to expect, plus magic words in the last
 * user prompt that choose a fault. The same words work in `npm run emulator` for local play.
 *
 *   [fault:429]  429 too_many_requests with Retry-After: 1      [fault:cut]   socket destroyed mid-answer
 *   [fault:500]  500 api_error ("fetch failed")                 [fault:hang]  stops sending, socket stays open
 *   [fault:NNN]  any status with its documented code            [fault:stream_error]  error object mid-stream
 *   [fault:no_done]  body ends without data: [DONE]             [fault:html]  502 with an HTML body
 *   [slow]       one word per chunk, 150 ms apart               [long]  a long multi-paragraph answer with code
 */
import { mediaCountOf, textOfContent } from './payloads.js';
import type { RecordedRequest, UpstreamScript } from './script.js';

/** The two reasoning deltas every default answer starts with. */
export const DEFAULT_REASONING = ['**Reading the prompt**\n\n', 'The user wants an echo.\n\n'];

/** The code the API documents for each status (../../../docs/upstream-api.md). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'api_not_implemented',
  401: 'invalid_token',
  403: 'used_up',
  404: 'no_api',
  429: 'too_many_requests',
  500: 'api_error',
  502: 'api_error',
  503: 'api_error',
  504: 'timeout',
};

/** Chunks written before `[fault:cut]` / `[fault:hang]`: role, two reasoning, one content chunk. */
const FAULT_AFTER_CHUNKS = 4;

/** The text of the last user message, with ` [+N media]` when it carries image_url parts. */
export function lastUserText(request: RecordedRequest): string {
  const messages: unknown = request.body?.messages;
  if (!Array.isArray(messages)) return '';
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role !== 'user') continue;
    const text = textOfContent(message.content);
    const media = mediaCountOf(message.content);
    return media > 0 ? `${text} [+${media} media]` : text;
  }
  return '';
}

/** The echo the default responder streams for `request`, before any magic word is applied. */
export function echoOf(request: RecordedRequest): string {
  return `Echo: ${lastUserText(request)}`;
}

/** Splits text into about `parts` pieces at spaces, keeping every character (join('') restores it). */
export function splitIntoChunks(text: string, parts: number): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const perChunk = Math.max(1, Math.ceil(words.length / parts));
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += perChunk) {
    chunks.push(words.slice(index, index + perChunk).join(''));
  }
  return chunks.length > 0 ? chunks : [''];
}

/** The default script for `request`. */
export function defaultResponder(request: RecordedRequest): UpstreamScript {
  const prompt = lastUserText(request);
  let text = echoOf(request);
  const script: UpstreamScript = { reasoning: [...DEFAULT_REASONING] };

  if (prompt.includes('[long]')) text += `\n\n${LONG_ANSWER}`;
  const slow = prompt.includes('[slow]');
  if (slow) script.chunkDelayMs = 150;
  // One word per chunk when slow, so progressive rendering is visible; else a few chunks.
  script.content = slow ? splitIntoChunks(text, Number.MAX_SAFE_INTEGER) : splitIntoChunks(text, 3);

  const fault = /\[fault:([a-z_]+|\d{3})\]/.exec(prompt)?.[1];
  if (fault === undefined) return script;
  if (/^\d{3}$/.test(fault)) {
    const status = Number(fault);
    const code = CODE_BY_STATUS[status] ?? 'api_error';
    script.fault = {
      kind: 'http',
      status,
      code,
      message: status === 500 ? 'fetch failed' : `emulated ${status} ${code}`,
      ...(status === 429 ? { retryAfterSeconds: 1 } : {}),
    };
  } else if (fault === 'cut' || fault === 'hang') {
    script.fault = { kind: fault, afterChunks: FAULT_AFTER_CHUNKS };
  } else if (fault === 'stream_error') {
    script.fault = {
      kind: 'stream_error',
      afterChunks: FAULT_AFTER_CHUNKS,
      code: 'api_error',
      message: 'emulated error inside the stream',
    };
  } else if (fault === 'no_done') {
    script.fault = { kind: 'no_done' };
  } else if (fault === 'html') {
    script.fault = {
      kind: 'non_json_error',
      status: 502,
      body: '<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>',
    };
  }
  return script;
}

/** About 3,500 characters: paragraphs, a list and a fenced code block, for splitting and rendering. */
export const LONG_ANSWER = [
  '## How streaming replies work',
  'A streamed reply arrives as many small pieces. The bot posts the first piece at once, then edits the same message as more text arrives, no more often than the platform allows. '.repeat(
    3,
  ),
  'When the answer grows past the length a single message may have, the bot continues in a new message. It splits at a paragraph or a line boundary, never in the middle of a word, and a code block that was open at the split is closed and opened again in the next message. '.repeat(
    3,
  ),
  '- the first visible change is posted at once\n- later changes are coalesced\n- unchanged text is not sent again\n- a rate limit widens the interval',
  '```ts\nexport function fibonacci(n: number): number {\n  let previous = 0;\n  let current = 1;\n  for (let index = 0; index < n; index++) {\n    [previous, current] = [current, previous + current];\n  }\n  return previous;\n}\n\nfor (let n = 0; n < 10; n++) {\n  console.log(n, fibonacci(n));\n}\n```',
  'That is all there is to it: post, edit, split, and carry the code fences over. '.repeat(4),
].join('\n\n');
