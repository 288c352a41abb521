import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamEmulator, type UpstreamEmulator } from '../emulators/upstream/server.js';

let emulator: UpstreamEmulator;
const root = new URL('../../', import.meta.url).pathname;

beforeAll(async () => {
  emulator = await startUpstreamEmulator();
});
afterAll(async () => {
  await emulator.close();
});

interface PackageJson {
  scripts: Record<string, string | undefined>;
}

/**
 * The entry `npm run chat` starts (`tsx <entry>` in package.json), run here with node and tsx
 * directly: npm would add a process in between, and a wrong path in the script still fails here.
 */
const chatEntry = (() => {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
  const entry = /^tsx (\S+)$/.exec(scripts.chat ?? '')?.[1];
  if (!entry) throw new Error(`package.json "chat" is not \`tsx <entry>\`: ${scripts.chat}`);
  return entry;
})();

/** Runs `npm run chat` as a user would, with the prompts piped to stdin. */
function chat(
  input: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', chatEntry], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        ACEDATA_API_TOKEN: emulator.token,
        ACEDATA_BASE_URL: emulator.url,
        STORE_URL: 'memory://',
        RATE_LIMIT_PER_MINUTE: '0',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

describe('npm run chat (console adapter) with piped prompts', () => {
  it('holds a multi-turn conversation with an image by path, model switch and reset', async () => {
    emulator.reset();
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    const image = join(dir, 'cat.png');
    writeFileSync(image, Buffer.from('89504e470d0a1a0a', 'hex'));

    const result = await chat(
      [
        'hello there',
        '/model gemini-2.5-flash',
        'second question',
        `/attach ${image}`,
        'what is this?',
        '/reset',
        'fresh start',
        '/bogus',
        '',
      ].join('\n'),
    );

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'Echo: hello there',
      'Echo: second question',
      'Echo: what is this? [+1 media]',
      'Echo: fresh start',
    ]);
    expect(result.stderr).toContain('Model set to gemini-2.5-flash.');
    expect(result.stderr).toContain('Attached cat.png (image/png, 8 bytes)');
    expect(result.stderr).toContain('Unknown command /bogus. Type /help for the list.');

    const bodies = emulator.requests.map((request) => request.body);
    expect(bodies.map((body) => body.model)).toEqual([
      'gemini-2.5-pro',
      'gemini-2.5-flash',
      'gemini-2.5-flash',
      'gemini-2.5-flash',
    ]);
    // Turn three carries the whole conversation so far; after /reset only the new prompt is sent.
    expect(bodies[2].messages.filter((m: { role: string }) => m.role !== 'system')).toHaveLength(5);
    expect(bodies[2].messages.at(-1).content[1].image_url.url).toMatch(/^data:image\/png;base64,/);
    expect(bodies[3].messages.filter((m: { role: string }) => m.role !== 'system')).toHaveLength(1);
  });

  it('marks an interrupted answer and carries on with the next prompt', async () => {
    emulator.reset();
    const result = await chat(['please [fault:cut]', 'after the cut', ''].join('\n'), {
      UPSTREAM_MAX_RETRIES: '0',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Interrupted.*cut off/);
    expect(result.stdout).toContain('Echo: after the cut');
  });

  it('/usage shows the day and month budgets, and a used-up budget refuses the next prompt', async () => {
    emulator.reset();
    emulator.enqueue({
      content: ['Counted.'],
      usage: { prompt_tokens: 20, completion_tokens: 40, total_tokens: 60 },
    });
    const result = await chat(['one', '/usage', 'two', ''].join('\n'), { BUDGET_USER_DAILY_TOKENS: '50' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Counted.');
    expect(result.stderr).toContain('You, today (UTC): 60 of 50 tokens · this month: 60 tokens (no limit)');
    expect(result.stderr).toMatch(/You have used your daily limit of 50 tokens; it resets at 00:00 UTC on /);
    expect(emulator.requests).toHaveLength(1);
  });

  it('stops at start-up with one line naming a missing variable', async () => {
    const result = await chat('', { ACEDATA_API_TOKEN: '' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'gemini-chat-bot: ACEDATA_API_TOKEN is required: expected your AceData Cloud API token.',
    );
  });
});
