import { describe, expect, it } from 'vitest';
import {
  conversationKeyFor,
  ignoreReason,
  mentionsBot,
  replyThreadTs,
  type SlackMessageEvent,
  splitCommandText,
  stripBotMention,
  toAttachmentRefs,
  turnFromMessage,
} from '../../../src/platforms/slack/normalize.js';

const BOT = 'UBOT1';
const base: SlackMessageEvent = {
  type: 'message',
  user: 'U1',
  text: 'hi',
  ts: '10.1',
  channel: 'C1',
  channel_type: 'channel',
};

describe('which Slack message events are turns', () => {
  it('takes plain messages, file shares and thread broadcasts', () => {
    expect(ignoreReason(base, BOT)).toBeUndefined();
    expect(ignoreReason({ ...base, subtype: 'file_share' }, BOT)).toBeUndefined();
    expect(ignoreReason({ ...base, subtype: 'thread_broadcast' }, BOT)).toBeUndefined();
  });

  it('ignores bots (our own posts and edits included), edits, deletes and joins', () => {
    expect(ignoreReason({ ...base, bot_id: 'B1' }, BOT)).toBe('bot_message');
    expect(ignoreReason({ ...base, user: BOT }, BOT)).toBe('own_message');
    expect(ignoreReason({ ...base, subtype: 'message_changed', user: undefined }, BOT)).toBe(
      'subtype:message_changed',
    );
    expect(ignoreReason({ ...base, subtype: 'message_deleted' }, BOT)).toBe('subtype:message_deleted');
    expect(ignoreReason({ ...base, subtype: 'channel_join' }, BOT)).toBe('subtype:channel_join');
  });
});

describe('mentions', () => {
  it('finds and strips the bot mention, with or without a label, keeping other users', () => {
    expect(mentionsBot('<@UBOT1|gemini> hi', BOT)).toBe(true);
    expect(mentionsBot('<@U2> hi', BOT)).toBe(false);
    expect(stripBotMention('<@UBOT1>  what about <@U2>?', BOT)).toBe('what about <@U2>?');
    expect(stripBotMention('hey <@UBOT1|gemini>, sum 1+1', BOT)).toBe('hey , sum 1+1');
  });
});

describe('conversations and reply threads', () => {
  it('answers a channel message in a new thread under it, or in its existing thread', () => {
    expect(replyThreadTs(base)).toBe('10.1');
    expect(replyThreadTs({ ...base, thread_ts: '9.9' })).toBe('9.9');
    expect(conversationKeyFor({ ...base, thread_ts: '9.9' }, 'T1')).toEqual({
      platform: 'slack',
      workspace: 'T1',
      channel: 'C1',
      thread: '9.9',
    });
  });

  it('keeps one running conversation per top-level DM and one per DM thread', () => {
    const dm = { ...base, channel: 'D1', channel_type: 'im' };
    expect(replyThreadTs(dm)).toBeUndefined();
    expect(conversationKeyFor(dm, 'T1').thread).toBe('D1');
    expect(conversationKeyFor({ ...dm, thread_ts: '5.5' }, 'T1').thread).toBe('5.5');
  });

  it('builds a turn with the mention stripped and the files as references', () => {
    const turn = turnFromMessage(
      {
        ...base,
        text: '<@UBOT1> describe this',
        team: 'T9',
        files: [
          {
            id: 'F1',
            name: 'cat.png',
            mimetype: 'image/png',
            size: 12,
            url_private: 'https://files/cat.png',
          },
          { id: 'F2', mode: 'tombstone' },
        ],
      },
      { teamId: 'T1', botUserId: BOT },
    );
    expect(turn).toEqual({
      key: { platform: 'slack', workspace: 'T9', channel: 'C1', thread: '10.1' },
      author: { id: 'U1', name: 'U1' },
      text: 'describe this',
      attachments: [
        {
          platform: 'slack',
          id: 'F1',
          url: 'https://files/cat.png',
          name: 'cat.png',
          mimeType: 'image/png',
          size: 12,
        },
      ],
      messageIds: ['10.1'],
      mode: 'new',
    });
  });

  it('keeps no URL for a remote file, so the resolver asks files.info and never sends it the token', () => {
    const refs = toAttachmentRefs([
      {
        id: 'FR1',
        name: 'a.png',
        mimetype: 'image/png',
        mode: 'external',
        url_private: 'https://x.example/a.png',
      },
      {
        id: 'FR2',
        name: 'b.png',
        mimetype: 'image/png',
        is_external: true,
        url_private: 'https://x.example/b.png',
      },
    ]);
    expect(refs.map((ref) => [ref.id, ref.url])).toEqual([
      ['FR1', undefined],
      ['FR2', undefined],
    ]);
  });

  it('splits a slash command argument', () => {
    expect(splitCommandText('  gemini-2.5-pro  thread ')).toEqual(['gemini-2.5-pro', 'thread']);
    expect(splitCommandText('')).toEqual(['', '']);
  });
});
