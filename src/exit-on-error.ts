/**
 * Start-up failures an operator can fix (bad configuration, unreachable store or platform API) end
 * the process with one clear line on stderr, never a stack trace. Anything else is a bug and keeps
 * its stack.
 */
import { ConfigError, PlatformUnreachableError, StoreUnavailableError } from './errors.js';

/** Writes the start-up failure to stderr (one line when the operator can fix it) and exits 1. */
export function exitWithStartupError(error: unknown): never {
  if (
    error instanceof ConfigError ||
    error instanceof StoreUnavailableError ||
    error instanceof PlatformUnreachableError
  ) {
    process.stderr.write(`gemini-chat-bot: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `gemini-chat-bot: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}
