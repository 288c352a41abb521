import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/engine/describe-error.js';
import {
  AppError,
  InterruptedByShutdownError,
  isAbort,
  RefusedError,
  SseOverflowError,
  UpstreamError,
} from '../../src/errors.js';
import { SseOverflowError as SseOverflowErrorFromSse } from '../../src/upstream/sse.js';

describe('describeError words the shutdown and the stream-format errors', () => {
  it('tells a turn refused during shutdown to send it again, whatever the operator message says', () => {
    const refused = new RefusedError('shutting_down', 'the engine stopped accepting turns');
    expect(describeError(refused)).toBe('The bot is restarting. Please send your message again in a minute.');
  });

  it('ends a reply cut by shutdown with a note to ask again (it follows "Interrupted: ")', () => {
    const interrupted = new InterruptedByShutdownError();
    expect(describeError(interrupted)).toBe(
      'the bot restarted before this answer was finished. Please ask again.',
    );
    // Still an abort, so every abort-aware wait (lock, gate, fetch, download) ends as cancelled.
    expect(isAbort(interrupted)).toBe(true);
    expect(interrupted).toBeInstanceOf(AppError);
    expect(interrupted.code).toBe('interrupted_by_shutdown');
  });

  it('words an event-stream overflow as an answer the bot could not read, like bad_response', () => {
    const overflow = new SseOverflowError(1_000);
    expect(overflow).toBeInstanceOf(AppError);
    expect(overflow.code).toBe('sse_overflow');
    expect(overflow.limitChars).toBe(1_000);
    expect(describeError(overflow)).toBe(describeError(new UpstreamError('bad_response', 'malformed')));
    expect(describeError(overflow)).toBe('The model service sent an answer the bot could not read.');
    // The upstream code and its tests still import it from sse.ts: the same class.
    expect(SseOverflowErrorFromSse).toBe(SseOverflowError);
  });

  it('still says Stopped for a plain abort', () => {
    expect(describeError(new DOMException('Stopped by the user', 'AbortError'))).toBe('Stopped.');
  });
});
