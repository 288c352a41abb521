/**
 * `npm run feedback:export` as an operator runs it: a real process reading a real SQLite file
 * through the same configuration as the bot, printing one JSON object per rating on stdout (and
 * nothing else there), the count on stderr; a STORE_URL naming no file is one clear line and exit 1.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import type { FeedbackRecord } from '../../src/store/types.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PREFIX = 'test-export';

let dir: string;
let storeUrl: string;

function record(messageId: string, userId: string, rating: FeedbackRecord['rating']): FeedbackRecord {
  return {
    platform: 'discord',
    conversationId: 'discord:g:c:t',
    messageId,
    userId,
    rating,
    model: 'gemini-2.5-flash',
    traceId: `trace-${messageId}`,
    prompt: 'What is "2+2"?\nAsk twice.',
    answer: 'Four.',
    time: new Date().toISOString(),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcb-export-'));
  storeUrl = `sqlite://${join(dir, 'bot.sqlite')}`;
  const store = await createStore({ url: storeUrl, prefix: PREFIX });
  await store.feedback.record(record('a1', 'ada', 'positive'));
  await store.feedback.record(record('a1', 'bob', 'negative'));
  await store.feedback.record(record('a2', 'ada', 'positive'));
  // Ada changes her mind on a2: still one line for it.
  await store.feedback.record(record('a2', 'ada', 'negative'));
  await store.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runExport(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('npm', ['run', '-s', 'feedback:export'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ACEDATA_API_TOKEN: 'sk-export-test',
      STORE_PREFIX: PREFIX,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run feedback:export', () => {
  it('prints one JSON object per rating on stdout, the count on stderr', async () => {
    const { code, stdout, stderr } = await runExport({ STORE_URL: storeUrl });
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter(Boolean);
    const parsed = lines.map((line) => JSON.parse(line) as FeedbackRecord);
    expect(parsed.map((r) => `${r.messageId}/${r.userId}/${r.rating}`).sort()).toEqual([
      'a1/ada/positive',
      'a1/bob/negative',
      'a2/ada/negative',
    ]);
    expect(parsed[0]).toMatchObject({
      conversationId: 'discord:g:c:t',
      model: 'gemini-2.5-flash',
      prompt: 'What is "2+2"?\nAsk twice.',
      answer: 'Four.',
    });
    expect(stderr.trim()).toBe('Exported 3 ratings.');
  }, 30_000);

  it('names a SQLite path that holds no store in one line, exit code 1', async () => {
    const missing = join(dir, 'nope', 'bot.sqlite');
    const { code, stdout, stderr } = await runExport({ STORE_URL: `sqlite://${missing}` });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([`No SQLite store at ${missing} (check STORE_URL).`]);
  }, 30_000);
});
