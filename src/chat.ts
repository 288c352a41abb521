/**
 * `npm run chat`: the second composition root, beside src/main.ts. A terminal chat with the model
 * through the same runtime (store, upstream client, engine) as the chat platforms, wired to the
 * console adapter (src/platforms/console/) instead of Discord and Slack: no HTTP server, no
 * graceful-shutdown drain (end of input or /quit ends the chat, then the runtime closes).
 * Needs ACEDATA_API_TOKEN (and ACEDATA_BASE_URL for the local emulator: `npm run emulator`).
 */
import { loadConfig, loadDotEnv } from './config.js';
import { exitWithStartupError } from './exit-on-error.js';
import { createLogger } from './log.js';
import { HELP, runConsole } from './platforms/console/adapter.js';
import { createRuntime } from './runtime.js';

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  // Logs go to stderr at warn unless asked otherwise, so piped answers on stdout stay clean.
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr);
  const runtime = await createRuntime(config, logger);
  if (process.stdin.isTTY) process.stderr.write(`${HELP}\n\n`);
  try {
    await runConsole({
      engine: runtime.engine,
      input: process.stdin,
      output: process.stdout,
      errorOutput: process.stderr,
    });
  } finally {
    await runtime.close();
  }
}

main().catch(exitWithStartupError);
