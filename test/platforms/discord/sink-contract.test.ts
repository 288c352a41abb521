/**
 * The shared ReplySink contract (test/support/sink-contract.ts) for Discord's ChannelSink and
 * InteractionSink, on the real discord.js client logged in to the Discord emulator. Every case gets
 * its own channel, so its messages and its rate-limit bucket are its own; what a person sees is read
 * from the emulator's messages.
 */
import {
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  MessageFlags,
  type TextChannel,
} from 'discord.js';
import { afterAll, beforeAll } from 'vitest';
import { createDiscordClient } from '../../../src/platforms/discord/client.js';
import { ChannelEditBudget } from '../../../src/platforms/discord/edit-budget.js';
import { ChannelSink, InteractionSink } from '../../../src/platforms/discord/sink.js';
import {
  type DiscordEmulator,
  type EmuMessage,
  startDiscordEmulator,
} from '../../emulators/discord/server.js';
import { describeSinkContract, type ShownMessage, type ShownPhase } from '../../support/sink-contract.js';
import { hasButton } from './support.js';

let emu: DiscordEmulator;
let client: Client;

beforeAll(async () => {
  // A minute-long window, roomy enough for any one case: only spendRateLimit runs a channel dry.
  emu = await startDiscordEmulator({ messageBucket: { limit: 40, windowMs: 60_000 } });
  client = createDiscordClient({ apiUrl: emu.apiUrl });
  await client.login(emu.token);
});
afterAll(async () => {
  await client?.destroy();
  await emu?.close();
});

/**
 * discord.js keeps Discord's global limit (50 requests a second per bot) itself and, with the
 * client's rejectOnRateLimit, refuses past it: the cases run back to back faster than that, so each
 * starts with room in the second.
 */
async function roomInGlobalLimit(): Promise<void> {
  const { rest } = client;
  if (rest.globalRemaining >= 20 || rest.globalReset <= Date.now()) return;
  await new Promise((resolve) => setTimeout(resolve, rest.globalReset - Date.now() + 10));
}

let channelCount = 0;
function freshChannel(): string {
  channelCount += 1;
  return emu.state.addChannel({
    type: 0,
    name: `contract-${channelCount}`,
    guild_id: emu.guildId,
    parent_id: null,
  }).id;
}

function phaseOf(message: EmuMessage): ShownPhase {
  if (hasButton(message, 'Stop')) return 'streaming';
  if (hasButton(message, 'Regenerate')) return 'ended';
  return 'none';
}

function shownIn(channelId: string): ShownMessage[] {
  return emu.botMessagesIn(channelId).map((message) => ({ text: message.content, phase: phaseOf(message) }));
}

/**
 * Sends outside discord.js run a channel's message bucket dry; Discord's 429 then names the wait. discord.js has not seen those sends, so the sink's
 * next call really reaches Discord and gets the 429.
 */
async function spendBucket(channelId: string): Promise<number> {
  for (;;) {
    const response = await fetch(`${emu.apiUrl}/v10/channels/${channelId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bot ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'other traffic' }),
    });
    if (response.status === 429) return Number(response.headers.get('retry-after')) * 1000;
    // Those sends are no part of the reply: gone from the channel, their bucket slots still spent.
    const { id } = (await response.json()) as { id: string };
    emu.state.messages.delete(id);
  }
}

/** Discord's EPHEMERAL message flag. */
const isEphemeral = (message: EmuMessage) => (message.flags & MessageFlags.Ephemeral) !== 0;

const key = (channel: string) => ({
  platform: 'discord' as const,
  workspace: emu.guildId,
  channel,
  thread: channel,
});

describeSinkContract({
  name: 'Discord ChannelSink',
  async create() {
    await roomInGlobalLimit();
    const channelId = freshChannel();
    const channel = (await client.channels.fetch(channelId)) as TextChannel;
    // The sink's own budget is roomy: the case is about what Discord itself answers.
    const sink = new ChannelSink({
      channel,
      key: key(channelId),
      budget: new ChannelEditBudget({ limit: 100 }),
    });
    return {
      sink,
      shownMessages: () => shownIn(channelId),
      shownNotices: () => emu.botMessagesIn(channelId).map((message) => message.content),
      typingShown: () => emu.log.filter((call) => call.path === `/channels/${channelId}/typing`).length,
      spendRateLimit: () => spendBucket(channelId),
    };
  },
});

/** Runs /ask in a fresh channel and defers it, as the adapter does before the answer streams. */
async function deferredAsk(channelId: string): Promise<ChatInputCommandInteraction> {
  const arrived = new Promise<ChatInputCommandInteraction>((resolve) => {
    const listener = (interaction: Interaction) => {
      if (!interaction.isChatInputCommand() || interaction.channelId !== channelId) return;
      client.off('interactionCreate', listener);
      resolve(interaction);
    };
    client.on('interactionCreate', listener);
  });
  emu.interaction({
    kind: 'command',
    channelId,
    name: 'ask',
    options: [{ name: 'prompt', type: 3, value: 'hi' }],
  });
  const interaction = await arrived;
  await interaction.deferReply();
  return interaction;
}

describeSinkContract({
  name: 'Discord InteractionSink (a deferred /ask)',
  async create() {
    await roomInGlobalLimit();
    const channelId = freshChannel();
    const interaction = await deferredAsk(channelId);
    const budget = new ChannelEditBudget({ limit: 100 });
    const sink = new InteractionSink({ interaction, key: key(channelId), budget, ephemeral: false });
    const emulated = emu.state.interactions.get(interaction.id)!;
    const followUps = () =>
      emulated.followUpIds
        .map((id) => emu.state.messages.get(id))
        .filter((message): message is EmuMessage => message !== undefined && !message.deleted);
    return {
      sink,
      // The deferred response is the reply's first message, its public follow-ups the rest.
      shownMessages: () =>
        [
          emu.state.messages.get(emulated.originalMessageId!)!,
          ...followUps().filter((m) => !isEphemeral(m)),
        ].map((message) => ({ text: message.content, phase: phaseOf(message) })),
      // Notices are follow-ups only the asker sees.
      shownNotices: () =>
        followUps()
          .filter(isEphemeral)
          .map((message) => message.content),
      // No spendRateLimit: a 429 on an interaction's webhook is waited out inside discord.js's queue
      // (client.ts rejects only channel message routes), so this sink never sees it to throw
      // PlatformRateLimitError. Known gap, reported with this suite; the case hangs for the window.
    };
  },
});
