/**
 * Commands register themselves at start-up: the bot reads what Discord holds, bulk-overwrites only
 * when that differs from commands/discord-commands.ts (Discord's daily create limit is never spent on
 * a plain restart), logs one line, and a refusal is one warning, never a failed start.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCommands } from '../../../commands/discord-commands.js';
import { createLogger } from '../../../src/log.js';
import { validateCommandList } from '../../emulators/discord/application-commands.js';
import { type DiscordEmulator, startDiscordEmulator } from '../../emulators/discord/server.js';
import { startDiscordBot } from './support.js';

/** A real pino logger whose lines the test can read. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

const registrationLines = (lines: Array<{ level: number; msg: string }>) =>
  lines.filter((line) => /slash commands/i.test(line.msg));

let discord: DiscordEmulator;

beforeAll(async () => {
  discord = await startDiscordEmulator({ messageBucket: { limit: 100, windowMs: 5_000 } });
});
afterAll(async () => {
  await discord?.close();
});

describe('registration at start-up', () => {
  it('registers the global commands when Discord has none, then leaves them alone on a restart', async () => {
    const first = recordingLogger();
    const bot = await startDiscordBot({ reuseEmulator: discord, logger: first.logger });
    const expected = discordCommands().map((c) => c.name);
    await bot.close();
    expect(discord.state.commandOverwrites).toBe(1);
    const registered = discord.state.commands.get('global') as Array<{ name: string }>;
    expect(registered.map((c) => c.name).sort()).toEqual([...expected].sort());
    expect(registrationLines(first.lines)).toEqual([
      expect.objectContaining({ level: 30, scope: 'global', changed: true }),
    ]);

    const second = recordingLogger();
    const again = await startDiscordBot({ reuseEmulator: discord, logger: second.logger });
    await again.close();
    // Read, compared, found equal: no second overwrite.
    expect(discord.state.commandOverwrites).toBe(1);
    expect(registrationLines(second.lines)).toEqual([
      expect.objectContaining({ level: 30, scope: 'global', changed: false }),
    ]);
  });

  it('overwrites when a definition differs (a changed description)', async () => {
    const list = discord.state.commands.get('global') as Array<{ name: string; description: string }>;
    list.find((c) => c.name === 'help')!.description = 'An old description';
    const before = discord.state.commandOverwrites;
    const { logger, lines } = recordingLogger();
    const bot = await startDiscordBot({ reuseEmulator: discord, logger });
    await bot.close();
    expect(discord.state.commandOverwrites).toBe(before + 1);
    const help = (discord.state.commands.get('global') as Array<{ name: string; description: string }>).find(
      (c) => c.name === 'help',
    );
    expect(help?.description).toBe('How to use this bot');
    expect(registrationLines(lines)).toEqual([expect.objectContaining({ changed: true })]);
  });

  it('registers in DISCORD_GUILD_ID when it is set', async () => {
    const bot = await startDiscordBot({
      reuseEmulator: discord,
      env: { DISCORD_GUILD_ID: discord.guildId },
    });
    await bot.close();
    const guildCommands = discord.state.commands.get(discord.guildId) as Array<{ name: string }>;
    expect(guildCommands.map((c) => c.name)).toContain('ask');
    const before = discord.state.commandOverwrites;
    const again = await startDiscordBot({
      reuseEmulator: discord,
      env: { DISCORD_GUILD_ID: discord.guildId },
    });
    await again.close();
    expect(discord.state.commandOverwrites).toBe(before);
  });

  it('when sharded, only the process holding shard 0 reads or writes commands', async () => {
    const commandCalls = (from: number) =>
      discord.log.slice(from).filter((c) => c.path.includes('/commands'));
    const before = discord.log.length;
    const shardOne = await startDiscordBot({
      reuseEmulator: discord,
      env: { DISCORD_SHARD_IDS: '1', DISCORD_SHARD_COUNT: '2' },
    });
    await shardOne.close();
    expect(commandCalls(before)).toEqual([]);
    const shardZero = await startDiscordBot({
      reuseEmulator: discord,
      env: { DISCORD_SHARD_IDS: '0', DISCORD_SHARD_COUNT: '2' },
    });
    await shardZero.close();
    expect(commandCalls(before).map((c) => c.method)).toContain('GET');
  });

  it('DISCORD_REGISTER_COMMANDS=false neither reads nor writes commands', async () => {
    const calls = discord.log.length;
    const before = discord.state.commandOverwrites;
    const { logger, lines } = recordingLogger();
    const bot = await startDiscordBot({
      reuseEmulator: discord,
      logger,
      env: { DISCORD_REGISTER_COMMANDS: 'false' },
    });
    await bot.close();
    expect(discord.state.commandOverwrites).toBe(before);
    expect(discord.log.slice(calls).filter((c) => c.path.includes('/commands'))).toEqual([]);
    expect(registrationLines(lines)).toEqual([]);
  });

  it("a spent daily create limit (429, retry after an hour) is one warning, not an hour's wait", async () => {
    const registered = discord.state.commands.get('global');
    discord.state.commands.set('global', []); // differs from the definitions: an overwrite is due
    discord.state.commandCreateLimitReached = true;
    try {
      const { logger, lines } = recordingLogger();
      const bot = await startDiscordBot({ reuseEmulator: discord, logger });
      expect(bot.handle.isReady()).toBe(true);
      await bot.close();
      expect(registrationLines(lines)).toEqual([expect.objectContaining({ level: 40, status: 429 })]);
    } finally {
      discord.state.commandCreateLimitReached = false;
      if (registered) discord.state.commands.set('global', registered);
    }
  }, 20_000);

  it('a refusal (a guild the bot is not in) is one warning and the bot still starts', async () => {
    const { logger, lines } = recordingLogger();
    const bot = await startDiscordBot({
      reuseEmulator: discord,
      logger,
      env: { DISCORD_GUILD_ID: '123456789012345678' },
    });
    expect(bot.handle.isReady()).toBe(true);
    await bot.close();
    const warnings = registrationLines(lines).filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(registrationLines(lines)).toHaveLength(1);
  });
});

describe("the emulator holds Discord's limits for command lists", () => {
  const valid = () => discordCommands() as unknown as Array<Record<string, unknown>>;

  it('accepts the bot’s own definitions', () => {
    expect(validateCommandList(valid())).toBeUndefined();
  });

  it.each([
    ['an upper-case chat-input name', (list: Array<Record<string, unknown>>) => (list[0]!.name = 'Ask')],
    ['a name over 32 characters', (list: Array<Record<string, unknown>>) => (list[0]!.name = 'a'.repeat(33))],
    [
      'a description over 100 characters',
      (list: Array<Record<string, unknown>>) => (list[0]!.description = 'd'.repeat(101)),
    ],
    [
      '26 options',
      (list: Array<Record<string, unknown>>) =>
        (list[0]!.options = Array.from({ length: 26 }, (_, i) => ({
          type: 3,
          name: `o${i}`,
          description: 'x',
        }))),
    ],
    [
      '26 choices',
      (list: Array<Record<string, unknown>>) =>
        (list[0]!.options = [
          {
            type: 3,
            name: 'o',
            description: 'x',
            choices: Array.from({ length: 26 }, (_, i) => ({ name: `c${i}`, value: `c${i}` })),
          },
        ]),
    ],
    [
      'six message commands',
      (list: Array<Record<string, unknown>>) =>
        list.push(...Array.from({ length: 6 }, (_, i) => ({ type: 3, name: `Message ${i}` }))),
    ],
    [
      '101 chat-input commands',
      (list: Array<Record<string, unknown>>) =>
        list.push(...Array.from({ length: 101 }, (_, i) => ({ type: 1, name: `c${i}`, description: 'x' }))),
    ],
  ])('refuses %s with 50035 Invalid Form Body', (_label, spoil) => {
    const list = valid();
    spoil(list);
    expect(validateCommandList(list)).toMatchObject({ code: 50035, message: 'Invalid Form Body' });
  });
});
