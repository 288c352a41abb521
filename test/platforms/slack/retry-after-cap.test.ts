/**
 * One-off Slack calls (notices, command answers) wait out a 429 themselves; a Retry-After past the
 * bot's cap (MAX_RETRY_AFTER_MS) is not waited for: the 429 comes back at once.
 */
import { ErrorCode } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient, webClientOptions, withRateLimitRetry } from '../../../src/platforms/slack/web-api.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/server.js';

let emu: SlackEmulator;
let client: WebClient;

beforeAll(async () => {
  emu = await startSlackEmulator();
  client = new WebClient(emu.botToken, webClientOptions(emu.apiUrl));
});
afterAll(async () => {
  await emu?.close();
});

describe('withRateLimitRetry and the Retry-After cap', () => {
  it('a 429 with Retry-After of a day is thrown at once, not waited for', async () => {
    // One call a day: the second call is answered 429 with Retry-After: 86400.
    emu.rateLimits.set('chat.postEphemeral', { perMinute: 1 / 1_440, burst: 1 });
    const ephemeral = () => client.chat.postEphemeral({ channel: 'C2', user: 'U1', text: 'note' });
    await withRateLimitRetry(ephemeral);
    await expect(withRateLimitRetry(ephemeral)).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 86_400,
    });
    expect(emu.rateLimitedCount()).toBe(1); // refused once, not retried
  }, 10_000);

  it('a short Retry-After is still waited out and the call goes through', async () => {
    emu.rateLimits.set('chat.postEphemeral', { perMinute: 60, burst: 1 });
    const ephemeral = () => client.chat.postEphemeral({ channel: 'C2', user: 'U1', text: 'note' });
    await withRateLimitRetry(ephemeral);
    await expect(withRateLimitRetry(ephemeral)).resolves.toMatchObject({ ok: true });
  }, 10_000);
});
