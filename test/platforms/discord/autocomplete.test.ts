/**
 * Autocomplete through the real discord.js client: typing into `/model name` or `/ask model` offers
 * the allowed models that match (at most Discord's 25), answered with callback type 8.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCommands } from '../../../commands/discord-commands.js';
import type { EmuUser } from '../../emulators/discord/server.js';
import { type DiscordBot, startDiscordBot } from './support.js';

const MODELS = [
  'gemini-2.5-pro',
  'gemini-2.5-flash',
  ...Array.from({ length: 28 }, (_, i) => `gemini-lab-${String(i).padStart(2, '0')}`),
];
const BLOCKED: EmuUser = { id: '100000000000000666', username: 'mallory', global_name: 'Mallory' };

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({ env: { ALLOWED_MODELS: MODELS.join(','), BLOCK_USERS: BLOCKED.id } });
});
afterAll(async () => {
  await bot?.close();
});

async function typeInto(command: string, option: string, typed: string, user?: EmuUser) {
  const interaction = bot.discord.interaction({
    kind: 'autocomplete',
    name: command,
    channelId: bot.discord.channels.general,
    options: [{ name: option, type: 3, value: typed, focused: true }],
    ...(user ? { user } : {}),
  });
  await bot.discord.waitFor(`${command} autocomplete answered`, () => interaction.callbacks.length > 0);
  expect(interaction.callbacks.map((c) => c.type)).toEqual([8]);
  return interaction.choices!.map((choice) => choice.value);
}

describe('model autocomplete', () => {
  it('/model name offers the allowed models that match what was typed', async () => {
    expect(await typeInto('model', 'name', 'FLASH')).toEqual(['gemini-2.5-flash']);
    expect(await typeInto('model', 'name', 'lab-1')).toEqual(
      Array.from({ length: 10 }, (_, i) => `gemini-lab-1${i}`),
    );
  });

  it('offers at most 25 models when nothing is typed yet, allowed ones only', async () => {
    const offered = await typeInto('ask', 'model', '');
    expect(offered).toHaveLength(25);
    expect(offered.every((model) => MODELS.includes(String(model)))).toBe(true);
    expect(await typeInto('ask', 'model', 'gpt')).toEqual([]);
  });

  it('puts models that start with the typed text first', async () => {
    const offered = await typeInto('ask', 'model', 'gemini-2.5');
    expect(offered.slice(0, 2)).toEqual(['gemini-2.5-pro', 'gemini-2.5-flash']);
  });

  it('offers nothing to a user the access lists refuse', async () => {
    expect(await typeInto('model', 'name', 'flash', BLOCKED)).toEqual([]);
  });

  it('the model options are registered with autocomplete, not a capped list of choices', () => {
    const commands = discordCommands();
    for (const [command, option] of [
      ['ask', 'model'],
      ['model', 'name'],
    ] as const) {
      const definition = commands.find((c) => c.name === command) as {
        options?: Array<{ name: string; autocomplete?: boolean; choices?: unknown[] }>;
      };
      const found = definition.options?.find((o) => o.name === option);
      expect(found).toMatchObject({ autocomplete: true });
      expect(found?.choices).toBeUndefined();
    }
  });
});
