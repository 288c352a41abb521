import { describe, expect, it } from 'vitest';
import {
  buttonId,
  fitContent,
  parseButtonId,
  replyComponents,
} from '../../../src/platforms/discord/format.js';
import {
  isPrivateKey,
  keyForPlace,
  type MessageFacts,
  onlyPingsEveryone,
  privateKeyFor,
  promptChanged,
  routeMessage,
  scopeForPlace,
  stripBotMention,
  threadTitle,
  toAttachmentRefs,
} from '../../../src/platforms/discord/normalize.js';

const BOT = '123456789012345678';

function facts(overrides: Partial<MessageFacts> = {}): MessageFacts {
  return {
    authorIsBot: false,
    webhookId: null,
    type: 0,
    system: false,
    content: 'hello',
    attachmentCount: 0,
    isDm: false,
    inThread: false,
    threadOwnedByBot: false,
    mentionsBot: false,
    repliesToBot: false,
    referencedMessageId: undefined,
    ...overrides,
  };
}

describe('which messages the bot answers', () => {
  it('ignores bots, webhooks, system messages and channel chatter', () => {
    expect(routeMessage(facts({ authorIsBot: true, mentionsBot: true })).kind).toBe('ignore');
    expect(routeMessage(facts({ webhookId: '1', mentionsBot: true })).kind).toBe('ignore');
    expect(routeMessage(facts({ type: 7, mentionsBot: true })).kind).toBe('ignore');
    expect(routeMessage(facts({ system: true, isDm: true })).kind).toBe('ignore');
    expect(routeMessage(facts()).kind).toBe('ignore');
  });

  it('ignores a text that only pings @everyone or @here, even in a DM', () => {
    expect(routeMessage(facts({ content: '@everyone', isDm: true })).kind).toBe('ignore');
    expect(routeMessage(facts({ content: ' @here  @everyone ', mentionsBot: true })).kind).toBe('ignore');
    expect(onlyPingsEveryone('@everyone what is 2+2?')).toBe(false);
    expect(onlyPingsEveryone('hello')).toBe(false);
  });

  it('routes mentions to a new thread, thread messages, reply chains and DMs', () => {
    expect(routeMessage(facts({ mentionsBot: true }))).toEqual({ kind: 'new-thread' });
    expect(routeMessage(facts({ inThread: true, threadOwnedByBot: true }))).toEqual({
      kind: 'thread',
      certain: true,
    });
    expect(routeMessage(facts({ inThread: true }))).toEqual({ kind: 'thread', certain: false });
    expect(routeMessage(facts({ inThread: true, mentionsBot: true }))).toEqual({
      kind: 'thread',
      certain: true,
    });
    expect(routeMessage(facts({ type: 19, repliesToBot: true, referencedMessageId: '9' }))).toEqual({
      kind: 'reply-chain',
      referencedMessageId: '9',
    });
    expect(routeMessage(facts({ type: 19, repliesToBot: false, referencedMessageId: '9' })).kind).toBe(
      'ignore',
    );
    expect(routeMessage(facts({ isDm: true }))).toEqual({ kind: 'dm' });
  });
});

describe('prompt text', () => {
  it('strips both mention forms of the bot and keeps other mentions', () => {
    expect(stripBotMention(`<@${BOT}> what is <@42>'s  role?`, BOT)).toBe("what is <@42>'s role?");
    expect(stripBotMention(`hey <@!${BOT}>\n  line two`, BOT)).toBe('hey\nline two');
  });

  it('makes a one-line thread title of at most 80 characters, cut at a word', () => {
    expect(threadTitle(`<@${BOT}> Explain\nmonads   simply`)).toBe('Explain monads simply');
    const long = threadTitle('word '.repeat(40));
    expect([...long].length).toBeLessThanOrEqual(80);
    expect(long.endsWith('…')).toBe(true);
    expect(long).not.toContain('\n');
    expect(threadTitle('```js\ncode\n```')).toBe('Conversation');
  });
});

describe('attachments and keys', () => {
  it('keeps the id and where the file lives, guessing a missing content type', () => {
    const refs = toAttachmentRefs(
      [{ id: 'a1', name: 'cat.PNG', url: 'https://cdn/x?ex=1', contentType: null, size: 10 }],
      { channel: 'c', message: 'm' },
    );
    expect(refs).toEqual([
      {
        platform: 'discord',
        id: 'a1',
        url: 'https://cdn/x?ex=1',
        location: { channel: 'c', message: 'm' },
        name: 'cat.PNG',
        mimeType: 'image/png',
        size: 10,
      },
    ]);
  });

  it('keys a thread under its parent channel and a DM as @dm', () => {
    expect(keyForPlace({ guildId: 'g', channelId: 't', parentId: 'p' })).toEqual({
      platform: 'discord',
      workspace: 'g',
      channel: 'p',
      thread: 't',
    });
    expect(keyForPlace({ guildId: null, channelId: 'd', parentId: null })).toEqual({
      platform: 'discord',
      workspace: '@dm',
      channel: 'd',
      thread: 'd',
    });
    expect(scopeForPlace({ guildId: 'g', channelId: 'c', parentId: null })).toEqual({
      platform: 'discord',
      workspace: 'g',
      channel: 'c',
    });
  });
});

describe('reply formatting', () => {
  const key = {
    platform: 'discord' as const,
    workspace: '111111111111111111',
    channel: '222222222222222222',
    thread: '333333333333333333',
  };

  it("round-trips a button id within Discord's 100 characters", () => {
    const id = buttonId('regen', key);
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseButtonId(id)).toEqual({ action: 'regen', key });
    expect(parseButtonId('other:thing')).toBeUndefined();
    expect(parseButtonId(buttonId('stop', { ...key, workspace: '@dm' }))?.key.workspace).toBe('@dm');
  });

  it('shows Stop while streaming and Regenerate afterwards', () => {
    expect(replyComponents('streaming', key)[0]?.components[0]?.label).toBe('Stop');
    for (const phase of ['done', 'stopped', 'interrupted'] as const) {
      expect(replyComponents(phase, key)[0]?.components[0]?.label).toBe('Regenerate');
    }
  });

  it('fits short command answers into 2,000 characters', () => {
    expect([...fitContent('é'.repeat(2500))].length).toBe(2000);
    expect(fitContent('short')).toBe('short');
  });
});

describe('promptChanged', () => {
  const prompt = { text: 'look at this', attachmentIds: ['1', '2'] };

  it('is false for the same text and files, in any order', () => {
    expect(promptChanged(prompt, { text: 'look at this', attachmentIds: ['2', '1'] })).toBe(false);
  });

  it('is true when the text changed or a file was removed or added', () => {
    expect(promptChanged(prompt, { ...prompt, text: 'look at that' })).toBe(true);
    expect(promptChanged(prompt, { ...prompt, attachmentIds: ['1'] })).toBe(true);
    expect(promptChanged(prompt, { ...prompt, attachmentIds: ['1', '2', '3'] })).toBe(true);
    expect(promptChanged(prompt, { ...prompt, attachmentIds: ['1', '3'] })).toBe(true);
  });
});

describe('privateKeyFor', () => {
  it("keys a user's private conversation by the channel, also from one of its threads", () => {
    const inThread = privateKeyFor({ guildId: 'g', channelId: 'thread1', parentId: 'chan' }, 'u1');
    expect(inThread).toEqual({ platform: 'discord', workspace: 'g', channel: 'chan', thread: 'private-u1' });
    expect(privateKeyFor({ guildId: 'g', channelId: 'chan', parentId: null }, 'u1')).toEqual(inThread);
    expect(privateKeyFor({ guildId: null, channelId: 'dm1', parentId: null }, 'u1')).toMatchObject({
      workspace: '@dm',
      channel: 'dm1',
    });
    expect(isPrivateKey(inThread)).toBe(true);
    expect(isPrivateKey(keyForPlace({ guildId: 'g', channelId: 'thread1', parentId: 'chan' }))).toBe(false);
  });

  it('fits in a button id that parses back', () => {
    const key = privateKeyFor(
      { guildId: '1'.repeat(19), channelId: '2'.repeat(19), parentId: null },
      '3'.repeat(19),
    );
    expect(parseButtonId(buttonId('stop', key))).toEqual({ action: 'stop', key });
    expect(buttonId('regen', key).length).toBeLessThanOrEqual(100);
  });
});
