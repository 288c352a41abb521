/**
 * Start-up failures an operator has to read: the real entry point (src/main.ts) as a child process
 * whose platform API cannot be reached (a host that does not resolve, a closed port) must end with
 * a non-zero exit code and exactly one stderr line naming what could not be reached, without a
 * stack trace, and an unreachable Slack API must not be reported as a refused token. A token the
 * platform really refuses (401 / invalid_auth from the emulators) still says so.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordEmulator, startDiscordEmulator } from '../emulators/discord/server.js';
import { type SlackEmulator, startSlackEmulator } from '../emulators/slack/server.js';

const ROOT = new URL('../../', import.meta.url).pathname;

let discord: DiscordEmulator;
let slack: SlackEmulator;
let closedPort: number;

beforeAll(async () => {
  discord = await startDiscordEmulator();
  slack = await startSlackEmulator();
  // A port that was just free: bound, then closed again, so connecting to it is refused.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await discord?.close();
  await slack?.close();
});

/** Runs the bot with `env` until it exits; returns its exit code and its non-empty stderr lines. */
function runBot(env: Record<string, string>): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      ACEDATA_API_TOKEN: 'sk-startup-test',
      STORE_URL: 'memory://',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve) =>
    child.once('close', (code) =>
      resolve({ code, stderr: stderr.split('\n').filter((line) => line.trim() !== '') }),
    ),
  );
}

function expectOneLine(stderr: string[]): string {
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).not.toMatch(/^\s+at /);
  expect(stderr[0]).not.toContain('start-up failed');
  return stderr[0]!;
}

describe('start-up without a reachable platform API', () => {
  it('Discord at a host that does not resolve: one line naming the host', async () => {
    const { code, stderr } = await runBot({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: 'http://no-such-host.invalid/api',
    });
    expect(code).not.toBe(0);
    expect(expectOneLine(stderr)).toMatch(/could not reach Discord at no-such-host\.invalid: ENOTFOUND/);
  }, 60_000);

  it('Discord at a closed port: one line naming host and port', async () => {
    const { code, stderr } = await runBot({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: `http://127.0.0.1:${closedPort}/api`,
    });
    expect(code).not.toBe(0);
    expect(expectOneLine(stderr)).toMatch(
      new RegExp(`could not reach Discord at 127\\.0\\.0\\.1:${closedPort}: ECONNREFUSED`),
    );
  }, 60_000);

  it('Slack at a closed port: one line saying Slack could not be reached, not that the token was refused', async () => {
    const { code, stderr } = await runBot({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `http://127.0.0.1:${closedPort}/api`,
    });
    expect(code).not.toBe(0);
    const line = expectOneLine(stderr);
    expect(line).toMatch(new RegExp(`could not reach Slack at 127\\.0\\.0\\.1:${closedPort}: ECONNREFUSED`));
    expect(line).not.toMatch(/refused SLACK_BOT_TOKEN/);
  }, 60_000);
});

describe('start-up with a token the platform refuses', () => {
  it('Discord: one line saying DISCORD_TOKEN was refused', async () => {
    const { code, stderr } = await runBot({
      DISCORD_TOKEN: 'not.the.token',
      DISCORD_API_URL: discord.apiUrl,
    });
    expect(code).not.toBe(0);
    expect(expectOneLine(stderr)).toMatch(/DISCORD_TOKEN was refused by Discord/);
  }, 60_000);

  it('Slack: one line saying SLACK_BOT_TOKEN was refused', async () => {
    const { code, stderr } = await runBot({
      SLACK_BOT_TOKEN: 'xoxb-not-the-token',
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `${slack.url}/api`,
    });
    expect(code).not.toBe(0);
    const line = expectOneLine(stderr);
    expect(line).toMatch(/Slack refused SLACK_BOT_TOKEN/);
    expect(line).not.toContain('xoxb-not-the-token');
  }, 60_000);
});
