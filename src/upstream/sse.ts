/**
 * Bytes of a `text/event-stream` body → the `data` of each event, in order.
 *
 * Why a wrapper around eventsource-parser: it takes strings, so bytes go through one streaming
 * TextDecoder (a multi-byte character split across two network reads is held back, not mangled);
 * and it never emits an event that lacks its trailing blank line at the end of the body, which is
 * how a last `data: [DONE]` may arrive, so `end()` flushes it. Comment lines (`: keep-alive`) are
 * skipped by the parser; `event:`/`id:` fields are ignored because the API sends none.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { SseOverflowError } from '../errors.js';

// Re-exported: the client and its tests catch it from here; the class lives with the error family.
export { SseOverflowError };

/**
 * The most characters one event may buffer. Large enough for any real chunk (AceData sends chunks
 * of a few kB), small enough that a server streaming garbage without newlines cannot exhaust memory.
 */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/**
 * Incremental decoder. Feed it each body read with `push`; it returns the `data` of every event
 * completed by that read. Call `end` once the body has ended to get any event the body left
 * without a trailing blank line.
 */
export class SseDecoder {
  private readonly textDecoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;
  private pending: string[] = [];
  private overflowed = false;

  constructor(private readonly maxEventChars = MAX_EVENT_CHARS) {
    this.parser = createParser({
      onEvent: (event) => {
        this.pending.push(event.data);
      },
      onError: (error) => {
        // Unknown fields and bad `retry:` values are harmless; only an overflow is fatal.
        if (error.type === 'max-buffer-size-exceeded') this.overflowed = true;
      },
      maxBufferSize: maxEventChars,
    });
  }

  /** Decodes one read of the body; returns the data of the events it completed (often none). */
  push(bytes: Uint8Array): string[] {
    const text = this.textDecoder.decode(bytes, STREAMING);
    if (text.length > 0) this.parser.feed(text);
    return this.take();
  }

  /**
   * Flushes what the body left behind: the decoder's held-back bytes (an incomplete character
   * becomes U+FFFD) and an event missing its blank line. Call once, after the last `push`.
   */
  end(): string[] {
    const rest = this.textDecoder.decode();
    // Two newlines end any half-finished line and dispatch the event it belongs to.
    this.parser.feed(`${rest}\n\n`);
    return this.take();
  }

  private take(): string[] {
    if (this.overflowed) throw new SseOverflowError(this.maxEventChars);
    if (this.pending.length === 0) return EMPTY;
    const events = this.pending;
    this.pending = [];
    return events;
  }
}

/** TextDecoder options for every read but the last, allocated once. */
const STREAMING = { stream: true } as const;

/** Shared, never mutated: most reads complete no event, so allocate nothing for them. */
const EMPTY: string[] = [];

/** Decodes a whole body at once (for tests and fixtures): every event's data, in order. */
export function decodeEventStream(chunks: Iterable<Uint8Array>): string[] {
  const decoder = new SseDecoder();
  const events: string[] = [];
  for (const chunk of chunks) events.push(...decoder.push(chunk));
  events.push(...decoder.end());
  return events;
}
