/**
 * Bolt and the WebClient log through @slack/logger's interface; this routes them into our pino
 * logger (one JSON stream, secrets redacted) instead of their console logger.
 */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../../log.js';

const ORDER: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function boltLogger(logger: Logger, level: LogLevel = LogLevel.WARN): SlackLogger {
  let current = level;
  let child = logger.child({ component: 'bolt' });
  const enabled = (wanted: LogLevel) => (ORDER[wanted] ?? 0) >= (ORDER[current] ?? 0);
  const text = (parts: unknown[]) =>
    parts
      .map((part) =>
        part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part),
      )
      .join(' ');
  return {
    debug: (...parts) => enabled(LogLevel.DEBUG) && child.debug(text(parts)),
    info: (...parts) => enabled(LogLevel.INFO) && child.info(text(parts)),
    warn: (...parts) => enabled(LogLevel.WARN) && child.warn(text(parts)),
    error: (...parts) => enabled(LogLevel.ERROR) && child.error(text(parts)),
    setLevel: (next) => {
      current = next;
    },
    getLevel: () => current,
    setName: (name) => {
      child = logger.child({ component: name });
    },
  };
}
