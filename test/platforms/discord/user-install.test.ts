/**
 * Slash commands of a user who installed the app to their own account, used in a server the bot is
 * not in: answered through the interaction webhook alone (no channel sends, threads or history
 * reads), privately unless the user asked to share, forced private where the server does not let
 * members use external apps, and keyed per user.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyForUserInstall } from '../../../src/platforms/discord/user-install.js';
import {
  DEFAULT_USER,
  type EmuInteraction,
  MEMBER_PERMISSIONS,
  USE_EXTERNAL_APPS,
} from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, startDiscordBot } from './support.js';

let bot: DiscordBot;
let elsewhere: string;

beforeAll(async () => {
  bot = await startDiscordBot();
  elsewhere = bot.discord.foreignChannel();
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

function finished(interaction: EmuInteraction) {
  return bot.discord.waitFor('a finished answer', () => {
    const id = interaction.originalMessageId;
    const message = id ? bot.discord.state.messages.get(id) : undefined;
    return message && !(message.flags & 128) && !hasButton(message, 'Stop') && message.content
      ? message
      : undefined;
  });
}

function userInstalledAsk(
  prompt: string,
  extra: { share?: boolean; externalApps?: boolean } = {},
): EmuInteraction {
  return bot.discord.interaction({
    kind: 'command',
    name: 'ask',
    channelId: elsewhere,
    installation: 'user',
    permissions: MEMBER_PERMISSIONS | (extra.externalApps ? USE_EXTERNAL_APPS : 0n),
    options: [
      { name: 'prompt', type: 3, value: prompt },
      ...(extra.share !== undefined ? [{ name: 'private', type: 5, value: !extra.share }] : []),
    ],
  });
}

async function savedRoles(interaction: EmuInteraction): Promise<string[]> {
  const key = keyForUserInstall(DEFAULT_USER.id, interaction.id);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const roles = (await bot.te.store.history.load(key)).map((turn) => turn.role);
    if (roles.length > 0 || Date.now() > deadline) return roles;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('/ask from a server the bot is not in', () => {
  it('answers privately through the webhook only, in a conversation keyed per user', async () => {
    const callsBefore = bot.discord.log.length;
    const ask = userInstalledAsk('hello from elsewhere', { externalApps: true });
    const answer = await finished(ask);
    expect(answer.content).toContain('Echo: hello from elsewhere');
    expect(ask.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(answer.flags & 64).toBe(64);
    // Private answers can be shared; Regenerate would need a channel the bot cannot write to.
    expect(hasButton(answer, 'Share')).toBe(true);
    expect(hasButton(answer, 'Regenerate')).toBe(false);
    const calls = bot.discord.log.slice(callsBefore);
    expect(calls.filter((c) => !/^\/(interactions|webhooks)\//.test(c.path))).toEqual([]);
    expect(await savedRoles(ask)).toEqual(['user', 'assistant']);
  });

  it('answers for everyone when the user asked to share (private:false) and the server allows it', async () => {
    const ask = userInstalledAsk('say it loud', { share: true, externalApps: true });
    const answer = await finished(ask);
    expect(answer.flags & 64).toBe(0);
    expect(hasButton(answer, 'Share')).toBe(false);
  });

  it('stays private where the member may not use external apps, even when asked to share', async () => {
    const ask = userInstalledAsk('say it loud', { share: true, externalApps: false });
    const answer = await finished(ask);
    expect(ask.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(answer.flags & 64).toBe(64);
    expect(hasButton(answer, 'Share')).toBe(false);
  });

  it('/help and /usage answer privately there too', async () => {
    for (const name of ['help', 'usage']) {
      const interaction = bot.discord.interaction({
        kind: 'command',
        name,
        channelId: elsewhere,
        installation: 'user',
      });
      const answer = await finished(interaction);
      expect(answer.flags & 64).toBe(64);
    }
  });
});
