/**
 * One structured (JSON) logger for the process. Secrets are redacted by path; message text is only
 * ever logged at debug level by the callers, never at info.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

const SECRET_PATHS = [
  'token',
  'apiToken',
  'botToken',
  'appToken',
  'signingSecret',
  'authorization',
  'headers.authorization',
  '*.token',
  '*.apiToken',
  '*.authorization',
  '*.headers.authorization',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'gemini-chat-bot' },
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that writes nothing, for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
