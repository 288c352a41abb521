/**
 * The Agent messaging experience end to end through Bolt: suggested prompts when a DM opens, the
 * channel a user is looking at remembered, a thread's agent session "processing" while the bot works
 * and "active" after, titled after the first prompt, and Slack's own stop button as our Stop.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  agentSessionStopped,
  appContextChanged,
  appHomeOpened,
  appMention,
  message,
  userTs,
} from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;
const mention = (text: string) => `<@${bot?.slack.botUserId}> ${text}`;

beforeAll(async () => {
  bot = await startSlackBot({
    env: {
      SLACK_SUGGESTED_PROMPTS: 'Plan my week=Help me plan my week.|Translate=Translate this into French:',
      BLOCK_USERS: 'UBLOCKED',
    },
    start: { budgets: { update: { perMinute: 6_000, burst: 100 } } },
  });
});
afterAll(async () => {
  await bot?.close();
});
beforeEach(() => {
  bot.upstream.reset();
  bot.slack.reset();
});

describe('opening the DM (app_home_opened, tab messages)', () => {
  it('sets the configured suggested prompts for that DM, without thread_ts as agent apps must', async () => {
    await bot.send.event(appHomeOpened({ user: 'U1', channel: 'D900', tab: 'messages' }));
    const set = await bot.slack.waitFor(() => bot.slack.state.suggestedPrompts.get('D900'));
    expect(set.prompts).toEqual([
      { title: 'Plan my week', message: 'Help me plan my week.' },
      { title: 'Translate', message: 'Translate this into French:' },
    ]);
    const [call] = bot.slack.callsOf('assistant.threads.setSuggestedPrompts');
    expect(call!.args.thread_ts).toBeUndefined();
    expect(call!.error).toBeUndefined();
  });

  it('offers nothing to a user the access lists refuse', async () => {
    await bot.send.event(appHomeOpened({ user: 'UBLOCKED', channel: 'D901', tab: 'messages' }));
    await bot.send.event(appHomeOpened({ user: 'U1', channel: 'D902', tab: 'messages' }));
    await bot.slack.waitFor(() => bot.slack.state.suggestedPrompts.get('D902'));
    await bot.handle.idle();
    expect(bot.slack.state.suggestedPrompts.has('D901')).toBe(false);
  });
});

describe('app_context_changed', () => {
  it('remembers the channel the user is looking at, and forgets it when they look at none', async () => {
    const viewing = bot.engine.store.viewing;
    await bot.send.event(appContextChanged({ user: 'U2', channel: 'D903', viewingChannel: 'C777' }));
    await bot.handle.idle();
    await expect(viewing.channelOf('slack', bot.slack.teamId, 'U2')).resolves.toBe('C777');
    // Opening the DM carries the context too.
    await bot.send.event(
      appHomeOpened({ user: 'U2', channel: 'D903', tab: 'messages', viewingChannel: 'C778' }),
    );
    await bot.slack.waitFor(() => bot.slack.state.suggestedPrompts.get('D903'));
    await bot.handle.idle();
    await expect(viewing.channelOf('slack', bot.slack.teamId, 'U2')).resolves.toBe('C778');
    await bot.send.event(appContextChanged({ user: 'U2', channel: 'D903', viewingChannel: undefined }));
    await bot.handle.idle();
    await expect(viewing.channelOf('slack', bot.slack.teamId, 'U2')).resolves.toBeUndefined();
  });

  it('keeps nothing for a user the access lists refuse', async () => {
    await bot.send.event(appContextChanged({ user: 'UBLOCKED', channel: 'D904', viewingChannel: 'C779' }));
    await bot.handle.idle();
    await expect(bot.engine.store.viewing.channelOf('slack', bot.slack.teamId, 'UBLOCKED')).resolves.toBe(
      undefined,
    );
  });
});

describe('agent sessions', () => {
  it('a channel thread is "processing", titled after the prompt, while answered, then "active"', async () => {
    bot.upstream.enqueue({ content: ['one ', 'two ', 'three'], chunkDelayMs: 100 });
    const ts = userTs();
    await bot.send.event(
      appMention({ channel: 'C910', user: 'U3', text: mention('What is   the\ncapital of France?'), ts }),
    );
    const processing = await bot.slack.waitFor(() => bot.slack.state.sessions.get(`C910/${ts}`));
    expect(processing.status).toBe('processing');
    expect(processing.title).toBe('What is the capital of France?');
    expect(processing.initiatorUserId).toBe('U3');
    const [reply] = await bot.finishedReply('C910', ts);
    expect(reply!.text).toBe('one two three');
    await bot.handle.idle();
    expect(bot.slack.state.sessions.get(`C910/${ts}`)!.statuses).toEqual(['processing', 'active']);
  });

  it('a DM thread too; later turns keep the title, a conversation started over renames it', async () => {
    const root = userTs();
    await bot.send.event(message({ channel: 'D911', user: 'U4', text: 'first question', ts: root }));
    await bot.send.event(message({ channel: 'D911', user: 'U4', text: 'a follow-up', threadTs: root }));
    await bot.slack.waitFor(() => bot.slack.thread('D911', root).find((m) => m.text === 'Echo: a follow-up'));
    await bot.handle.idle();
    await bot.send.event(message({ channel: 'D911', user: 'U4', text: 'and another', threadTs: root }));
    await bot.slack.waitFor(() => bot.slack.thread('D911', root).find((m) => m.text === 'Echo: and another'));
    await bot.handle.idle();
    const session = bot.slack.state.sessions.get(`D911/${root}`)!;
    expect(session.statuses).toEqual(['processing', 'active', 'processing', 'active']);
    // The thread's first prompt titles the session; a later one does not change it.
    expect(session.titles).toEqual(['a follow-up']);
    expect(bot.slack.callsOf('agents.sessions.setStatus')[2]!.args.title).toBeUndefined();

    await bot.engine.engine.reset({
      platform: 'slack',
      workspace: bot.slack.teamId,
      channel: 'D911',
      thread: root,
    });
    await bot.send.event(
      message({ channel: 'D911', user: 'U4', text: 'something else entirely', threadTs: root }),
    );
    await bot.slack.waitFor(() =>
      bot.slack.thread('D911', root).find((m) => m.text === 'Echo: something else entirely'),
    );
    await bot.handle.idle();
    expect(bot.slack.callsOf('agents.sessions.rename').map((c) => c.args.title)).toEqual([
      'something else entirely',
    ]);
    expect(session.titles.at(-1)).toBe('something else entirely');
    expect(session.statuses.at(-1)).toBe('active');
  });

  it("Slack's stop button (agent_session_stopped) stops the answer like our Stop, and the session goes active", async () => {
    bot.upstream.enqueue({ content: Array.from({ length: 60 }, (_, n) => `w${n} `), chunkDelayMs: 100 });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C912', user: 'U5', text: mention('go on and on'), ts }));
    await bot.slack.waitFor(() => bot.slack.thread('C912', ts).find((m) => m.text.includes('w2')));
    await bot.send.event(agentSessionStopped({ user: 'U5', channel: 'C912', threadTs: ts }));
    const [reply] = await bot.finishedReply('C912', ts);
    expect(reply!.text).toContain('Stopped');
    expect(reply!.text).not.toContain('w59');
    await bot.handle.idle();
    expect(bot.slack.state.sessions.get(`C912/${ts}`)!.statuses.at(-1)).toBe('active');
  });

  it("someone else's press of Slack's stop button stops nothing and tells them why", async () => {
    bot.slack.addUser({ id: 'U7', name: 'someone else' });
    bot.upstream.enqueue({ content: Array.from({ length: 30 }, (_, n) => `v${n} `), chunkDelayMs: 50 });
    const ts = userTs();
    await bot.send.event(appMention({ channel: 'C913', user: 'U6', text: mention('long'), ts }));
    await bot.slack.waitFor(() => bot.slack.thread('C913', ts).find((m) => m.text.includes('v2')));
    await bot.send.event(agentSessionStopped({ user: 'U7', channel: 'C913', threadTs: ts }));
    const [reply] = await bot.finishedReply('C913', ts);
    expect(reply!.text).toContain('v29');
    await bot.handle.idle();
    expect(
      bot.slack.state.ephemerals.some((e) => e.user === 'U7' && /Only the person who asked/.test(e.text)),
    ).toBe(true);
  });
});

// Last: once Slack says not_allowed, the workspace is not asked for sessions again.
describe('an app still on assistant_view', () => {
  it('answers as before, and stops asking for sessions after Slack says not_allowed', async () => {
    bot.slack.agentApp = false;
    try {
      for (const n of [1, 2]) {
        const ts = userTs();
        await bot.send.event(appMention({ channel: 'C914', user: 'U8', text: mention(`q${n}`), ts }));
        const [reply] = await bot.finishedReply('C914', ts);
        expect(reply!.text).toBe(`Echo: q${n}`);
      }
      await bot.handle.idle();
      expect(bot.slack.callsOf('agents.sessions.setStatus').map((c) => c.error)).toEqual(['not_allowed']);
    } finally {
      bot.slack.agentApp = true;
    }
  });
});

describe('agent sessions under a burst of turns', () => {
  let burstBot: SlackBot;
  beforeAll(async () => {
    // Slack's limit for agents.sessions.setStatus tightened to 3 at once, the bot's budget to 2 (a
    // token of headroom for calls that bunch up in transit, as the production budget keeps half of
    // Slack's burst): four turns at once make eight calls, which must wait instead of drawing 429s.
    burstBot = await startSlackBot({
      start: {
        budgets: {
          update: { perMinute: 6_000, burst: 100 },
          sessions: { perMinute: 120, burst: 2 },
        },
      },
    });
    burstBot.slack.rateLimits.set('agents.sessions.setStatus', { perMinute: 120, burst: 3 });
  });
  afterAll(async () => {
    await burstBot?.close();
  });

  it('every session still goes processing then active, and Slack answers no call 429', async () => {
    const threads = ['C931', 'C932', 'C933', 'C934'].map((channel) => ({ channel, ts: userTs() }));
    for (const _ of threads) burstBot.upstream.enqueue({ content: ['fine'] });
    await Promise.all(
      threads.map(({ channel, ts }) =>
        burstBot.send.event(
          appMention({ channel, user: 'U3', text: `<@${burstBot.slack.botUserId}> hello`, ts }),
        ),
      ),
    );
    for (const { channel, ts } of threads) await burstBot.finishedReply(channel, ts);
    await burstBot.handle.idle();
    expect(burstBot.slack.calls.filter((call) => call.status === 429).map((call) => call.method)).toEqual([]);
    for (const { channel, ts } of threads) {
      expect(burstBot.slack.state.sessions.get(`${channel}/${ts}`)?.statuses).toEqual([
        'processing',
        'active',
      ]);
    }
  });
});
