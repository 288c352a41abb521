/**
 * The shared ReplySink contract (test/support/sink-contract.ts) for Slack's three reply sinks, on
 * the real @slack/web-api WebClient (built as the adapter builds it) against the Slack emulator:
 * post-then-update, native streaming, and the private answer (`/ask --private`). Every case answers
 * in its own channel; what a person sees is read from the emulator's workspace state.
 */
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { EphemeralAnswerSink, type EphemeralPost } from '../../../src/platforms/slack/ephemeral-sink.js';
import type { SlackMessageContent } from '../../../src/platforms/slack/markdown-blocks.js';
import {
  NativeStreamingSupport,
  SlackNativeStreamSink,
} from '../../../src/platforms/slack/native-stream-sink.js';
import { REGENERATE_ACTION_ID, STOP_ACTION_ID } from '../../../src/platforms/slack/reply-blocks.js';
import { WorkspaceBudget } from '../../../src/platforms/slack/update-budget.js';
import { type ReplyTarget, SlackUpdateSink } from '../../../src/platforms/slack/update-sink.js';
import { WebClient, webClientOptions } from '../../../src/platforms/slack/web-api.js';
import { DEFAULT_LIMITS } from '../../emulators/slack/rate-limits.js';
import { type SlackEmulator, startSlackEmulator } from '../../emulators/slack/server.js';
import type { EmulatedMessage } from '../../emulators/slack/state.js';
import { describeSinkContract, type ShownMessage, type ShownPhase } from '../../support/sink-contract.js';

let emu: SlackEmulator;
let client: WebClient;

beforeAll(async () => {
  emu = await startSlackEmulator();
  client = new WebClient(emu.botToken, webClientOptions(`${emu.url}/api`));
});
afterAll(async () => {
  await emu?.close();
});

const ASKER = 'U0CONTRACT';
let channelCount = 0;

/** A channel of its own for one case, and the thread the reply goes to. */
function freshPlace(): { channel: string; threadTs: string } {
  channelCount += 1;
  const channel = `C0CONTRACT${channelCount}`;
  const threadTs = emu.postAsUser({ channel, user: ASKER, text: 'a question' });
  return { channel, threadTs };
}

function targetIn(place: { channel: string; threadTs: string }): ReplyTarget & { threadTs: string } {
  return {
    client,
    key: { platform: 'slack', workspace: emu.teamId, channel: place.channel, thread: place.threadTs },
    channel: place.channel,
    threadTs: place.threadTs,
    userId: ASKER,
    logger: silentLogger,
  };
}

/** Budgets roomy enough that the cases are about what Slack itself answers. */
const roomyBudget = () => new WorkspaceBudget({ perMinute: 6_000, burst: 1_000 });

/**
 * What a person sees of a bot message: its markdown blocks when it has them (Slack shows blocks,
 * `text` is only the notification fallback), else the text (a native stream's streamed markdown).
 */
function shownText(message: EmulatedMessage): string {
  const markdown = (message.blocks ?? []).filter((block: { type?: string }) => block.type === 'markdown');
  return markdown.length > 0 ? markdown.map((block: { text: string }) => block.text).join('') : message.text;
}

function phaseOf(message: EmulatedMessage): ShownPhase {
  if (message.streaming) return 'streaming';
  const blocks = JSON.stringify(message.blocks ?? []);
  if (blocks.includes(STOP_ACTION_ID)) return 'streaming';
  if (blocks.includes(REGENERATE_ACTION_ID)) return 'ended';
  return 'none';
}

function shownIn(place: { channel: string; threadTs: string }): ShownMessage[] {
  return emu.thread(place.channel, place.threadTs).map((m) => ({ text: shownText(m), phase: phaseOf(m) }));
}

const noticesIn = (channel: string) =>
  emu.state.ephemerals.filter((e) => e.channel === channel && e.user === ASKER).map((e) => e.text);

/**
 * Tightens the workspace's limit on `methods` to nothing left (as a busy workspace would) and
 * resolves to the Retry-After Slack then announces; `restore` puts the usual limits back.
 */
function rateLimiter(methods: string[]) {
  return {
    async spend(): Promise<number> {
      for (const method of methods) emu.rateLimits.set(method, { perMinute: 6, burst: 0 });
      // A call outside the sink shows the wait Slack names: 10 s for 6 a minute.
      const refused = await fetch(`${emu.apiUrl}${methods[0]}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${emu.botToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'channel=C0NONE',
      });
      return Number(refused.headers.get('retry-after')) * 1000;
    },
    restore(): void {
      for (const method of methods) emu.rateLimits.set(method, DEFAULT_LIMITS[method]);
    },
  };
}

describeSinkContract({
  name: 'Slack post-then-update (SlackUpdateSink)',
  async create() {
    const place = freshPlace();
    const limits = rateLimiter(['chat.update', 'chat.postMessage']);
    return {
      sink: new SlackUpdateSink(targetIn(place), roomyBudget()),
      shownMessages: () => shownIn(place),
      shownNotices: () => noticesIn(place.channel),
      spendRateLimit: () => limits.spend(),
      close: async () => limits.restore(),
    };
  },
});

describeSinkContract({
  name: 'Slack native streaming (SlackNativeStreamSink)',
  async create() {
    const place = freshPlace();
    const sink = new SlackNativeStreamSink(targetIn(place), {
      recipientTeamId: emu.teamId,
      support: new NativeStreamingSupport(),
      appendBudget: roomyBudget(),
      streamBudget: roomyBudget(),
      updateBudget: roomyBudget(),
    });
    // The engine tells the sink when the answer's content begins (onContent); every text this
    // contract sends is answer content, so it has begun.
    sink.noteContent('content');
    const limits = rateLimiter([
      'chat.appendStream',
      'chat.startStream',
      'chat.stopStream',
      'chat.update',
      'chat.postMessage',
    ]);
    return {
      sink,
      shownMessages: () => shownIn(place),
      shownNotices: () => noticesIn(place.channel),
      spendRateLimit: () => limits.spend(),
      close: async () => limits.restore(),
    };
  },
});

describeSinkContract({
  name: 'Slack private answer (EphemeralAnswerSink)',
  // Ephemeral messages cannot be edited: each part is sent once, when it has ended.
  showsWhileStreaming: false,
  async create() {
    const { channel } = freshPlace();
    const responseUrl = emu.responseUrl();
    // What Bolt's `respond` does: one JSON POST to the command's response_url.
    const respond = async (message: EphemeralPost) => {
      const response = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      if (!response.ok) throw new Error(`response_url answered ${response.status}`);
    };
    const postEphemeral = (content: SlackMessageContent) =>
      client.chat.postEphemeral({ channel, user: ASKER, ...content });
    const privately = () =>
      emu.state.ephemerals.filter(
        (e) => e.responseUrl === responseUrl || (e.via === 'postEphemeral' && e.channel === channel),
      );
    return {
      sink: new EphemeralAnswerSink({ respond, postEphemeral, logger: silentLogger }),
      // Slack keeps no state for ephemeral messages beyond what it showed: their text, in order.
      shownMessages: () => privately().map((e) => ({ text: e.text })),
      shownNotices: () => privately().map((e) => e.text),
      // No spendRateLimit: the answer goes through the response_url, which Slack caps at five posts
      // rather than rate-limiting.
    };
  },
});
