/**
 * One structured (JSON) logger for the process. Every logged object goes through `scrubForLog`
 * (src/log-scrub.ts): credentials redacted by key in any letter case, request bodies and raw chunks
 * dropped, errors reduced to what identifies them. Message text is only ever logged at debug level by
 * the callers, never at info.
 */
import { type Logger, pino } from 'pino';
import { scrubForLog, serializeError } from './log-scrub.js';

export type { Logger };

/** Builds the process logger at `level`, writing JSON lines to `destination` (default stdout). */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gemini-chat-bot' },
      formatters: {
        // Runs before serializers on every entry, so nothing reaches the output unscrubbed.
        log: (entry) => scrubForLog(entry) as Record<string, unknown>,
        bindings: (bindings) => scrubForLog(bindings) as Record<string, unknown>,
      },
      // An `err` that reached pino without the formatter (pino's own error paths) is still reduced.
      serializers: { err: (err: unknown) => (err instanceof Error ? serializeError(err) : err) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
