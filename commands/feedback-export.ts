/**
 * `npm run feedback:export`: prints every 👍/👎 rating still kept (FEEDBACK_RETENTION_DAYS) as JSON
 * lines on stdout, one object per rating, oldest first; the count goes to stderr, so
 * `npm run -s feedback:export > feedback.jsonl` holds only the ratings. Reads the same
 * configuration as the bot (.env, STORE_URL, STORE_PREFIX), so run it where the bot runs; on
 * Redis it may run while the bot does, on SQLite it reads the same file.
 */
import { existsSync } from 'node:fs';
import { loadConfig, loadDotEnv } from '../src/config.js';
import { ConfigError, StoreUnavailableError } from '../src/errors.js';
import { createStore } from '../src/store/create-store.js';
import { sqlitePathOf } from '../src/store/guard.js';
import type { FeedbackRecord } from '../src/store/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every rating kept in the configured store, oldest first. */
export async function exportFeedback(env: NodeJS.ProcessEnv = process.env): Promise<FeedbackRecord[]> {
  const config = loadConfig(env);
  const { url, prefix, feedbackRetentionDays } = config.store;
  // Opening a SQLite path that does not exist would create an empty store and print nothing.
  if (url.startsWith('sqlite://') && !existsSync(sqlitePathOf(url))) {
    throw new StoreUnavailableError(`No SQLite store at ${sqlitePathOf(url)} (check STORE_URL).`);
  }
  const store = await createStore({ url, prefix, feedbackRetentionMs: feedbackRetentionDays * DAY_MS });
  try {
    return await store.feedback.list();
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const records = await exportFeedback();
  for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`);
  process.stderr.write(`Exported ${records.length} rating${records.length === 1 ? '' : 's'}.\n`);
}

// Run only as a script, so tests can import exportFeedback.
if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    const known = error instanceof ConfigError || error instanceof StoreUnavailableError;
    console.error(known ? (error as Error).message : `Export failed: ${(error as Error).message}`);
    process.exit(1);
  });
}
