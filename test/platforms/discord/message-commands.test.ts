/**
 * Message context-menu commands through the real discord.js client: Explain, Translate and Ask
 * Gemini (a modal, then the answer) answer privately with a Share button; user installs from a
 * server the bot is not in are answered through the interaction webhook alone, keyed per user.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HANDLED_COMMANDS } from '../../../src/platforms/discord/commands.js';
import {
  ASK_MODAL_PREFIX,
  HANDLED_MESSAGE_COMMANDS,
  MESSAGE_COMMAND,
  QUESTION_FIELD,
} from '../../../src/platforms/discord/message-commands.js';
import { keyForRootMessage } from '../../../src/platforms/discord/normalize.js';
import { NOT_YOURS_TO_SHARE } from '../../../src/platforms/discord/share-button.js';
import { keyForUserInstall } from '../../../src/platforms/discord/user-install.js';
import type { ConversationKey } from '../../../src/store/types.js';
import {
  type EmuInteraction,
  type EmuUser,
  type InteractionInput,
  MEMBER_PERMISSIONS,
  USE_EXTERNAL_APPS,
} from '../../emulators/discord/server.js';
import { type DiscordBot, hasButton, startDiscordBot } from './support.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const BLOCKED: EmuUser = { id: '100000000000000666', username: 'mallory', global_name: 'Mallory' };
const BOB: EmuUser = { id: '100000000000000002', username: 'bob', global_name: 'Bob' };

let bot: DiscordBot;

beforeAll(async () => {
  bot = await startDiscordBot({ env: { BLOCK_USERS: BLOCKED.id } });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.te.emulator.reset());

function originalOf(interaction: EmuInteraction) {
  return interaction.originalMessageId
    ? bot.discord.state.messages.get(interaction.originalMessageId)
    : undefined;
}

/** Waits until the private answer is finished (its "thinking" flag gone and Stop replaced). */
function finishedAnswer(interaction: EmuInteraction, check: (text: string) => boolean = () => true) {
  return bot.discord.waitFor('a finished private answer', () => {
    const message = originalOf(interaction);
    return message && !(message.flags & 128) && !hasButton(message, 'Stop') && check(message.content)
      ? message
      : undefined;
  });
}

function messageCommand(
  name: string,
  targetMessageId: string,
  extra: Partial<Extract<InteractionInput, { kind: 'message-command' }>> = {},
) {
  return bot.discord.interaction({
    kind: 'message-command',
    name,
    targetMessageId,
    channelId: bot.discord.channels.general,
    ...extra,
  });
}

/** The roles saved in a conversation's history, once the turn is written (just after the reply ends). */
async function savedRoles(key: ConversationKey): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const roles = (await bot.te.store.history.load(key)).map((turn) => turn.role);
    if (roles.length > 0 || Date.now() > deadline) return roles;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lastPrompt = (index = 0) => bot.te.emulator.requests[index]!.body.messages.at(-1).content;
const promptText = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : (content as Array<{ type: string; text?: string }>)
        .filter((p) => p.type === 'text')
        .map((p) => p.text)
        .join('\n');

describe('definitions', () => {
  it('registers the message commands with both install types, and each has a handler', () => {
    const registered = bot.discord.state.commands.get('global') as Array<{
      name: string;
      type: number;
      integration_types: number[];
      contexts: number[] | null;
    }>;
    expect(registered.map((c) => c.name).sort()).toEqual(
      [...HANDLED_COMMANDS, ...HANDLED_MESSAGE_COMMANDS].sort(),
    );
    const byName = new Map(registered.map((c) => [c.name, c]));
    for (const name of [...HANDLED_MESSAGE_COMMANDS, 'ask', 'help', 'usage', 'summarize']) {
      expect(byName.get(name)).toMatchObject({ integration_types: [0, 1], contexts: [0, 1, 2] });
    }
    for (const name of HANDLED_MESSAGE_COMMANDS) expect(byName.get(name)?.type).toBe(3);
    for (const name of ['chat', 'system']) {
      expect(byName.get(name)).toMatchObject({ integration_types: [0], contexts: [0] });
    }
    // The bot's own DM is a conversation it hosts: it can be reset, stopped and given a model there.
    for (const name of ['model', 'reset', 'stop']) {
      expect(byName.get(name)).toMatchObject({ integration_types: [0], contexts: [0, 1] });
    }
  });
});

describe('Explain', () => {
  it('explains the message text and its image, privately, with a Share button', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.random,
      author: BOB,
      content: 'The build is red again',
      attachments: [{ filename: 'ci.png', contentType: 'image/png', bytes: PNG }],
    });
    bot.te.emulator.enqueue({ content: ['It means ', 'the CI failed.'] });
    const explain = messageCommand(MESSAGE_COMMAND.explain, target.id, {
      channelId: bot.discord.channels.random,
    });
    const answer = await finishedAnswer(explain, (t) => t === 'It means the CI failed.');
    expect(explain.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(answer.flags & 64).toBe(64);
    expect(hasButton(answer, 'Share')).toBe(true);
    const content = lastPrompt() as Array<{ type: string; image_url?: { url: string } }>;
    expect(promptText(content)).toContain('The build is red again');
    expect(content.find((p) => p.type === 'image_url')?.image_url?.url).toBe(
      `data:image/png;base64,${PNG.toString('base64')}`,
    );
  });

  it('Share posts the answer for everyone and takes the button off the private copy', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: 'lgtm',
    });
    bot.te.emulator.enqueue({ content: ['"Looks good to me".'] });
    const explain = messageCommand(MESSAGE_COMMAND.explain, target.id);
    const answer = await finishedAnswer(explain);
    const share = bot.discord.interaction({
      kind: 'button',
      customId: (answer.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!.components[0]!
        .custom_id,
      messageId: answer.id,
      channelId: bot.discord.channels.general,
    });
    await bot.discord.waitFor('the shared answer', () => share.followUpIds.length > 0);
    expect(share.callbacks[0]).toMatchObject({ type: 7, data: { components: [] } });
    const shared = bot.discord.state.messages.get(share.followUpIds[0]!)!;
    expect(shared.content).toBe('"Looks good to me".');
    expect(shared.flags & 64).toBe(0);
    expect(bot.discord.state.messages.get(answer.id)!.components).toEqual([]);
  });

  it('Share pressed by anyone but the asker posts nothing', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: 'the secret is 42',
    });
    bot.te.emulator.enqueue({ content: ['It tells the secret: 42.'] });
    const explain = messageCommand(MESSAGE_COMMAND.explain, target.id);
    const answer = await finishedAnswer(explain);
    await savedRoles(keyForRootMessage(bot.discord.guildId, bot.discord.channels.general, explain.id));
    // The private copy is only its asker's to see; a forged or replayed press by someone else.
    const share = bot.discord.interaction({
      kind: 'button',
      customId: (answer.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!.components[0]!
        .custom_id,
      messageId: answer.id,
      channelId: bot.discord.channels.general,
      user: BOB,
    });
    await bot.discord.waitFor('the refusal', () => share.callbacks.length > 0);
    expect(share.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect((share.callbacks[0]!.data as { content: string }).content).toBe(NOT_YOURS_TO_SHARE);
    expect(share.followUpIds).toEqual([]);
    expect(hasButton(bot.discord.state.messages.get(answer.id)!, 'Share')).toBe(true);
  });

  it('refuses a blocked user privately without asking the model', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: 'hi',
    });
    const explain = messageCommand(MESSAGE_COMMAND.explain, target.id, { user: BLOCKED });
    await bot.discord.waitFor('the refusal', () => explain.callbacks.length > 0);
    expect(explain.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(bot.te.emulator.requests).toHaveLength(0);
  });
});

describe('Translate', () => {
  it("translates into the invoking user's Discord locale", async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: 'Good morning',
    });
    bot.te.emulator.enqueue({ content: ['Bom dia'] });
    const translate = messageCommand(MESSAGE_COMMAND.translate, target.id, { locale: 'pt-BR' });
    await finishedAnswer(translate, (t) => t === 'Bom dia');
    const prompt = promptText(lastPrompt());
    expect(prompt).toContain('Brazilian Portuguese');
    expect(prompt).toContain('Good morning');
  });

  it('says so privately when the message has no text', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: '',
      attachments: [{ filename: 'a.png', contentType: 'image/png', bytes: PNG }],
    });
    const translate = messageCommand(MESSAGE_COMMAND.translate, target.id);
    await bot.discord.waitFor('the explanation', () => translate.callbacks.length > 0);
    expect(translate.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect((translate.callbacks[0]!.data as { content: string }).content).toContain('no text');
  });
});

describe('Ask Gemini', () => {
  it('opens a modal, then answers the question with the message as context', async () => {
    const target = bot.discord.sendMessage({
      channelId: bot.discord.channels.general,
      author: BOB,
      content: 'Deploy window is Friday 18:00 UTC',
    });
    const ask = messageCommand(MESSAGE_COMMAND.ask, target.id);
    await bot.discord.waitFor('the modal', () => ask.modal);
    expect(ask.callbacks.map((c) => c.type)).toEqual([9]);
    expect(ask.modal).toMatchObject({ custom_id: `${ASK_MODAL_PREFIX}${ask.id}` });
    bot.te.emulator.enqueue({ content: ['That is 20:00 in Berlin.'] });
    const submit = bot.discord.interaction({
      kind: 'modal-submit',
      customId: ask.modal!.custom_id,
      fields: { [QUESTION_FIELD]: 'What time is that in Berlin?' },
      channelId: bot.discord.channels.general,
    });
    await finishedAnswer(submit, (t) => t === 'That is 20:00 in Berlin.');
    expect(submit.callbacks[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    const prompt = promptText(lastPrompt());
    expect(prompt).toContain('What time is that in Berlin?');
    expect(prompt).toContain('Deploy window is Friday 18:00 UTC');
  });

  it('a modal for a message it no longer remembers gets a private explanation', async () => {
    const submit = bot.discord.interaction({
      kind: 'modal-submit',
      customId: `${ASK_MODAL_PREFIX}999`,
      fields: { [QUESTION_FIELD]: 'hello?' },
      channelId: bot.discord.channels.general,
    });
    await bot.discord.waitFor('the explanation', () => submit.callbacks.length > 0);
    expect(submit.callbacks[0]).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(bot.te.emulator.requests).toHaveLength(0);
  });
});

describe('user install in a server the bot is not in', () => {
  /** A message in a server without the bot, as the user's client shows it. */
  function foreignMessage(content: string) {
    const channelId = bot.discord.foreignChannel();
    return {
      channelId,
      message: bot.discord.state.buildMessage({ channel_id: channelId, author: BOB, content }),
    };
  }

  it('answers through the interaction webhook only, keyed per user, forced private without Use External Apps', async () => {
    const { channelId, message } = foreignMessage('¿Dónde está la estación?');
    const callsBefore = bot.discord.log.length;
    bot.te.emulator.enqueue({ content: ['Where is the station?'] });
    const translate = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.translate,
      targetMessageId: message.id,
      channelId,
      installation: 'user',
    });
    const answer = await finishedAnswer(translate, (t) => t === 'Where is the station?');
    // Discord would show it to the user only, so no Share button is offered.
    expect(hasButton(answer, 'Share')).toBe(false);
    const calls = bot.discord.log.slice(callsBefore);
    expect(calls.filter((c) => c.path.startsWith('/channels/'))).toEqual([]);
    expect(calls.every((c) => /^\/(interactions|webhooks)\//.test(c.path))).toBe(true);
    expect(await savedRoles(keyForUserInstall('100000000000000001', translate.id))).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('offers Share where the member may use external apps, and shares through the webhook', async () => {
    const { channelId, message } = foreignMessage('ship it');
    bot.te.emulator.enqueue({ content: ['It means: release it.'] });
    const explain = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.explain,
      targetMessageId: message.id,
      channelId,
      installation: 'user',
      permissions: MEMBER_PERMISSIONS | USE_EXTERNAL_APPS,
    });
    const answer = await finishedAnswer(explain);
    expect(hasButton(answer, 'Share')).toBe(true);
    const key = keyForUserInstall('100000000000000001', explain.id);
    await savedRoles(key);
    const share = bot.discord.interaction({
      kind: 'button',
      customId: (answer.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!.components[0]!
        .custom_id,
      messageId: answer.id,
      channelId,
      installation: 'user',
      permissions: MEMBER_PERMISSIONS | USE_EXTERNAL_APPS,
    });
    await bot.discord.waitFor('the shared answer', () => share.followUpIds.length > 0);
    expect(bot.discord.state.messages.get(share.followUpIds[0]!)!.content).toBe('It means: release it.');
    expect(await savedRoles(key)).toEqual(['user', 'assistant']);
  });

  it('Ask Gemini works there too: the modal, then a private answer through the webhook', async () => {
    const { channelId, message } = foreignMessage('Meeting moved to Thursday');
    const callsBefore = bot.discord.log.length;
    const ask = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.ask,
      targetMessageId: message.id,
      channelId,
      installation: 'user',
    });
    await bot.discord.waitFor('the modal', () => ask.modal);
    bot.te.emulator.enqueue({ content: ['Thursday.'] });
    const submit = bot.discord.interaction({
      kind: 'modal-submit',
      customId: ask.modal!.custom_id,
      fields: { [QUESTION_FIELD]: 'Which day?' },
      channelId,
      installation: 'user',
    });
    await finishedAnswer(submit, (t) => t === 'Thursday.');
    expect(promptText(lastPrompt())).toContain('Meeting moved to Thursday');
    const calls = bot.discord.log.slice(callsBefore);
    expect(calls.filter((c) => !/^\/(interactions|webhooks)\//.test(c.path))).toEqual([]);
    expect(await savedRoles(keyForUserInstall('100000000000000001', submit.id))).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('stays within 5 follow-ups for a long answer, cutting it with a note', async () => {
    const { channelId, message } = foreignMessage('write a lot');
    const paragraph = `${'word '.repeat(380).trim()}\n\n`;
    bot.te.emulator.enqueue({ content: Array.from({ length: 10 }, () => paragraph) });
    const explain = bot.discord.interaction({
      kind: 'message-command',
      name: MESSAGE_COMMAND.explain,
      targetMessageId: message.id,
      channelId,
      installation: 'user',
    });
    await bot.discord.waitFor(
      'the cut answer',
      () => {
        const ids = [explain.originalMessageId!, ...explain.followUpIds];
        const last = bot.discord.state.messages.get(ids.at(-1)!);
        return (
          explain.followUpIds.length === 5 && last?.content.includes('cut here') && !hasButton(last, 'Stop')
        );
      },
      20_000,
    );
    const refused = bot.discord.log.filter((c) => c.path.startsWith('/webhooks/') && c.status >= 400);
    expect(refused).toEqual([]);
  });
});
