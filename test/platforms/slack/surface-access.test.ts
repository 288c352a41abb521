/**
 * Every Slack surface is access-checked, through the real Bolt receiver: slash commands, thread
 * links (only into the channel the command runs in), the channel's model (admins only), the Stop
 * and Regenerate buttons (the asker or an admin), and the install scope (ALLOW_TEAMS).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import type { ConversationKey } from '../../../src/store/types.js';
import { appMention, blockAction, slashCommand, userTs } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({ env: { BLOCK_USERS: 'UBAD', ADMIN_USERS: 'UADM' } });
  bot.slack.addUser({ id: 'UASK', name: 'asker' });
  bot.slack.addUser({ id: 'UOTHER', name: 'other' });
  bot.slack.addUser({ id: 'UBAD', name: 'blocked' });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => bot.upstream.reset());

/** Runs a command and returns the first response_url answer it caused. */
async function run(command: string, text: string, user: string, channel: string) {
  const before = bot.slack.state.ephemerals.length;
  await bot.send.command(
    slashCommand({ command, text, user, channel, responseUrl: bot.slack.responseUrl() }),
  );
  return bot.slack.waitFor(() =>
    bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
  );
}

/** A finished conversation in `channel` asked by `user`; returns its thread key and the reply. */
async function conversation(channel: string, user = 'UASK') {
  const ts = userTs();
  await bot.send.event(appMention({ channel, user, text: mention('remember this'), ts }));
  const [reply] = await bot.finishedReply(channel, ts);
  const key: ConversationKey = { platform: 'slack', workspace: bot.slack.teamId, channel, thread: ts };
  return { ts, key, reply: reply! };
}

function linkTo(channel: string, ts: string): string {
  return `https://emulated.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
}

describe('slash commands', () => {
  it('refuses /gemini-reset, /gemini-usage and /gemini-model for a blocked user', async () => {
    const { ts, key } = await conversation('C700');
    for (const [command, text] of [
      ['/gemini-reset', linkTo('C700', ts)],
      ['/gemini-usage', ''],
      ['/gemini-model', ''],
    ] as const) {
      const answer = await run(command, text, 'UBAD', 'C700');
      expect(answer.responseType).toBe('ephemeral');
      expect(answer.text).toContain('not allowed');
    }
    expect(await bot.engine.engine.hasConversation(key)).toBe(true);
  });

  it('refuses /gemini-reset with a link into another channel and keeps that history', async () => {
    const { ts, key } = await conversation('C701');
    const answer = await run('/gemini-reset', linkTo('C701', ts), 'UASK', 'C702');
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toContain('only in the channel');
    expect(await bot.engine.engine.hasConversation(key)).toBe(true);
    const usage = await run('/gemini-usage', linkTo('C701', ts), 'UASK', 'C702');
    expect(usage.text).toContain('only in the channel');
  });

  it('lets only admins change the channel model, as for /gemini-system', async () => {
    const refused = await run('/gemini-model', 'gemini-2.5-flash', 'UOTHER', 'C703');
    expect(refused.responseType).toBe('ephemeral');
    expect(refused.text).toContain('Only workspace admins');
    expect(
      (await bot.engine.engine.settings({ platform: 'slack', workspace: bot.slack.teamId, channel: 'C703' }))
        .model,
    ).toBe('gemini-2.5-pro');
    const applied = await run('/gemini-model', 'gemini-2.5-flash', 'UADM', 'C703');
    expect(applied.responseType).toBe('in_channel');
  });
});

describe('Stop and Regenerate', () => {
  async function press(
    actionId: string,
    user: string,
    channel: string,
    threadTs: string,
    reply: { ts: string; blocks?: unknown[] },
  ) {
    const button = (reply.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
      .at(-1)!
      .elements!.find((e) => e.action_id === actionId)!;
    await bot.send.interaction(
      blockAction({ actionId, value: button.value, user, channel, messageTs: reply.ts, threadTs }),
    );
  }

  it('refuses Regenerate by someone other than the asker, privately, and allows an ADMIN_USERS user', async () => {
    const { ts, reply } = await conversation('C710');
    bot.upstream.reset();
    const before = bot.slack.state.ephemerals.length;
    await press('gemini_regenerate', 'UOTHER', 'C710', ts, reply);
    const refusal = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.slice(before).find((e) => e.user === 'UOTHER'),
    );
    expect(refusal.text).toContain('Only the person who asked');
    expect(bot.upstream.requests).toHaveLength(0);
    expect(bot.slack.thread('C710', ts)).toHaveLength(1);

    await press('gemini_regenerate', 'UADM', 'C710', ts, reply);
    await bot.finishedReply('C710', ts, 2);
    expect(bot.upstream.requests).toHaveLength(1);
  });

  it('refuses Stop by someone other than the asker and lets the asker stop', async () => {
    bot.upstream.enqueue({ content: Array.from({ length: 60 }, (_, i) => `slow${i} `), chunkDelayMs: 100 });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C711', user: 'UASK', text: mention('long'), ts }));
    const streaming = await bot.slack.waitFor(() => {
      const first = bot.slack.thread('C711', ts)[0];
      return first?.text.includes('slow1') && JSON.stringify(first.blocks).includes('gemini_stop')
        ? first
        : undefined;
    });
    const before = bot.slack.state.ephemerals.length;
    await press('gemini_stop', 'UOTHER', 'C711', ts, streaming);
    const refusal = await bot.slack.waitFor(() =>
      bot.slack.state.ephemerals.slice(before).find((e) => e.user === 'UOTHER'),
    );
    expect(refusal.text).toContain('Only the person who asked');
    expect(
      bot.engine.engine.isStreaming({
        platform: 'slack',
        workspace: bot.slack.teamId,
        channel: 'C711',
        thread: ts,
      }),
    ).toBe(true);
    await press('gemini_stop', 'UASK', 'C711', ts, streaming);
    const [stopped] = await bot.finishedReply('C711', ts);
    expect(stopped!.text).toMatch(/_Stopped\._$/);
  });
});

describe('install scope (ALLOW_TEAMS)', () => {
  it('answers nothing from a team that is not listed, asks the model nothing and logs once', async () => {
    const lines: string[] = [];
    const elsewhere = await startSlackBot({
      env: { ALLOW_TEAMS: 'TALLOWED' },
      logger: createLogger('info', { write: (line: string) => void lines.push(line) }),
    });
    try {
      const botMention = `<@${elsewhere.slack.botUserId}> hi`;
      for (let i = 0; i < 3; i += 1) {
        await elsewhere.send.event(appMention({ channel: 'C720', user: 'U1', text: botMention }));
      }
      await elsewhere.send.command(
        slashCommand({
          command: '/ask',
          text: 'hi',
          user: 'U1',
          channel: 'C720',
          responseUrl: elsewhere.slack.responseUrl(),
        }),
      );
      // A listed team's command is answered: everything sent before it has been handled by then.
      await elsewhere.send.command(
        slashCommand({
          command: '/gemini-help',
          text: '',
          user: 'U2',
          channel: 'C721',
          teamId: 'TALLOWED',
          responseUrl: elsewhere.slack.responseUrl(),
        }),
      );
      await elsewhere.slack.waitFor(() =>
        elsewhere.slack.state.ephemerals.find((e) => e.via === 'response_url'),
      );
      await elsewhere.handle.idle();
      expect(elsewhere.upstream.requests).toHaveLength(0);
      expect(elsewhere.slack.state.messages).toHaveLength(0);
      expect(elsewhere.slack.state.ephemerals).toHaveLength(1);
      const scopeLines = lines.filter((line) => line.includes('outside the install scope'));
      expect(scopeLines).toHaveLength(1);
      expect(scopeLines[0]).toContain('T0EMULATED');
    } finally {
      await elsewhere.close();
    }
  });
});
