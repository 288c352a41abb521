/**
 * Slash commands. Each is acknowledged at once (Slack allows 3 s) and answered afterwards through
 * the command's response_url: ephemerally for what concerns only the caller (help, usage, current
 * settings, bad arguments), in the channel for changes everybody should see. Names default to
 * /ask, /gemini-model, /gemini-system, /gemini-reset, /gemini-usage, /gemini-help,
 * /gemini-summarize and can be
 * renamed through `SlackCommandNames` to match a different manifest.
 */
import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import { checkAccess } from '../../engine/access.js';
import { formatBudgetLines } from '../../engine/budgets.js';
import type { HandleTurnOptions } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { IncomingTurn } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { ConversationKey, SettingsScope, UsageTotals } from '../../store/types.js';
import type { SlackAdapterDeps } from './adapter.js';
import { EphemeralAnswerSink } from './ephemeral-sink.js';
import { escapeSlackText } from './markdown-blocks.js';
import { splitCommandText } from './normalize.js';
import { SlackSummaries } from './summaries.js';
import { withRateLimitRetry } from './web-api.js';

export interface SlackCommandNames {
  ask: string;
  model: string;
  system: string;
  reset: string;
  usage: string;
  help: string;
  summarize: string;
}

export const DEFAULT_COMMAND_NAMES: SlackCommandNames = {
  ask: '/ask',
  model: '/gemini-model',
  system: '/gemini-system',
  reset: '/gemini-reset',
  usage: '/gemini-usage',
  help: '/gemini-help',
  summarize: '/gemini-summarize',
};

export class SlackCommands {
  private readonly summaries: SlackSummaries;

  constructor(
    private readonly deps: SlackAdapterDeps,
    private readonly names: SlackCommandNames = DEFAULT_COMMAND_NAMES,
  ) {
    this.summaries = new SlackSummaries(deps);
  }

  register(app: App): void {
    const handlers: Record<
      keyof SlackCommandNames,
      (command: SlashCommand, respond: RespondFn) => Promise<void>
    > = {
      ask: (c, r) => this.ask(c, r),
      model: (c, r) => this.model(c, r),
      system: (c, r) => this.system(c, r),
      reset: (c, r) => this.reset(c, r),
      usage: (c, r) => this.usage(c, r),
      help: (_c, r) => this.help(r),
      summarize: (c, r) => this.summarize(c, r),
    };
    for (const [which, handler] of Object.entries(handlers)) {
      app.command(this.names[which as keyof SlackCommandNames], async ({ ack, command, respond }) => {
        await ack();
        try {
          // Every command but help goes through the same access lists as a message.
          const refusal = which === 'help' ? undefined : this.access(command);
          if (refusal) throw refusal;
          await handler(command, respond);
        } catch (error) {
          // Bad arguments and refusals are worded by describeError; the caller alone sees them.
          if (!(error instanceof UserInputError))
            this.deps.logger.warn({ err: error, command: command.command }, 'slash command failed');
          await say(respond, 'ephemeral', describeError(error));
        }
      });
    }
  }

  /** `/ask [--private] [model:<name>] <question>`: a new threaded conversation (or a private answer). */
  private async ask(command: SlashCommand, respond: RespondFn): Promise<void> {
    let text = command.text.trim();
    const isPrivate = PRIVATE_FLAG.test(text);
    if (isPrivate) text = text.replace(/^(--private|-p)\s*/, '');
    let model: string | undefined;
    const [first, rest] = splitCommandText(text);
    if (first.startsWith('model:')) {
      model = first.slice('model:'.length);
      text = rest;
    }
    if (!text)
      throw new UserInputError(
        'bad_argument',
        `Usage: ${this.names.ask} [--private] [model:<name>] <your question>`,
      );
    const author = { id: command.user_id, name: command.user_name };
    const team = command.team_id;

    if (isPrivate) {
      const turn: IncomingTurn = {
        key: privateKey(command),
        author,
        text,
        attachments: [],
        messageIds: [`ask:${command.trigger_id}`],
        ...(model ? { model } : {}),
      };
      await this.answerPrivately(command, respond, turn);
      return;
    }

    // A slash command is not a message: post the question so the answer has a thread to live in.
    const { client } = this.deps;
    let questionTs: string;
    try {
      const posted = await withRateLimitRetry(() =>
        client.chat.postMessage({
          channel: command.channel_id,
          text: `<@${command.user_id}> asked: ${escapeSlackText(text)}`,
          unfurl_links: false,
        }),
      );
      questionTs = posted.ts!;
    } catch (error) {
      this.deps.logger.info({ err: error }, '/ask could not post in the channel');
      throw new UserInputError(
        'not_permitted',
        'I cannot post in this channel. Invite me first (/invite @Gemini), or use /ask --private.',
      );
    }
    const key: ConversationKey = {
      platform: 'slack',
      workspace: team,
      channel: command.channel_id,
      thread: questionTs,
    };
    const turn: IncomingTurn = {
      key,
      author,
      text,
      attachments: [],
      messageIds: [questionTs],
      ...(model ? { model } : {}),
    };
    await this.deps.replies.answer(turn, {
      channel: command.channel_id,
      threadTs: questionTs,
      assistantThread: false,
      userTeamId: team,
    });
  }

  /** A turn answered only to the caller: the response_url first, then chat.postEphemeral. */
  private async answerPrivately(
    command: SlashCommand,
    respond: RespondFn,
    turn: IncomingTurn,
    options: HandleTurnOptions = {},
  ): Promise<void> {
    const { client } = this.deps;
    const sink = new EphemeralAnswerSink({
      respond,
      postEphemeral: (part) =>
        withRateLimitRetry(() =>
          client.chat.postEphemeral({ channel: command.channel_id, user: command.user_id, ...part }),
        ),
      logger: this.deps.logger,
    });
    const outcome = await this.deps.engine.handleTurn(turn, sink, options);
    if (outcome.status === 'refused') await say(respond, 'ephemeral', describeError(outcome.error));
  }

  /**
   * `/gemini-summarize [N]`: this channel's last N top-level messages (in the DM: the channel the
   * caller is looking at), summarized with links to the messages, for the caller only.
   */
  private async summarize(command: SlashCommand, respond: RespondFn): Promise<void> {
    await this.summaries.command(
      command,
      (turn, options) => this.answerPrivately(command, respond, turn, options),
      (text) => say(respond, 'ephemeral', text),
    );
  }

  /** `/gemini-model [name|reset]`: shows or sets this channel's model. */
  private async model(command: SlashCommand, respond: RespondFn): Promise<void> {
    const [name] = splitCommandText(command.text);
    const scope = this.scope(command);
    const { engine } = this.deps;
    if (!name) {
      const current = await engine.settings(scope);
      await say(
        respond,
        'ephemeral',
        `This channel uses *${current.model}*. Available: ${engine.allowedModels.join(', ')}.`,
      );
      return;
    }
    if (!(await this.deps.admins.isAdmin(command.user_id))) {
      throw new UserInputError(
        'not_permitted',
        'Only workspace admins (or users in ADMIN_USERS) can change the model.',
      );
    }
    const reset = name === 'reset' || name === 'default';
    await engine.setModel(scope, reset ? null : name);
    const now = await engine.settings(scope);
    await say(
      respond,
      'in_channel',
      `<@${command.user_id}> set the model for this channel to *${now.model}*.`,
    );
  }

  /** `/gemini-system [prompt|reset]`: shows the channel's system prompt; admins may change it. */
  private async system(command: SlashCommand, respond: RespondFn): Promise<void> {
    const prompt = command.text.trim();
    const scope = this.scope(command);
    if (!prompt) {
      const current = await this.deps.engine.settings(scope);
      await say(
        respond,
        'ephemeral',
        `System prompt for this channel:\n> ${escapeSlackText(current.systemPrompt)}`,
      );
      return;
    }
    if (!(await this.deps.admins.isAdmin(command.user_id))) {
      throw new UserInputError(
        'not_permitted',
        'Only workspace admins (or users in ADMIN_USERS) can change the system prompt.',
      );
    }
    const reset = prompt === 'reset' || prompt === 'default';
    await this.deps.engine.setSystemPrompt(scope, reset ? null : prompt);
    await say(
      respond,
      'in_channel',
      reset
        ? `<@${command.user_id}> reset the system prompt for this channel to the default.`
        : `<@${command.user_id}> changed the system prompt for this channel.`,
    );
  }

  /**
   * `/gemini-reset [thread link | --private]`: forgets a thread's history (in a DM: the DM's
   * conversation; in a channel without a link: the caller's most recent conversation with the bot
   * there), or with `--private` the caller's private conversation in this channel.
   */
  private async reset(command: SlashCommand, respond: RespondFn): Promise<void> {
    if (PRIVATE_FLAG.test(command.text.trim())) {
      await this.forget(privateKey(command));
      await say(respond, 'ephemeral', 'Done: I forgot your private conversation in this channel.');
      return;
    }
    const named = this.conversationFromCommand(command);
    if (named) {
      await this.forget(named);
      await say(respond, 'ephemeral', 'Done: the conversation was reset. The next message starts fresh.');
      return;
    }
    const [argument] = splitCommandText(command.text);
    const usage = `Use ${this.names.reset} <link to a message in the thread> (Copy link on the thread's first message), or ${this.names.reset} --private for your private conversation here.`;
    if (argument) throw new UserInputError('bad_argument', `Which thread? ${usage}`);
    // Slash commands carry no thread: the caller's latest answered thread in this channel is meant.
    const recent = await this.deps.recent?.latest(command.team_id, command.channel_id, command.user_id);
    if (!recent) {
      throw new UserInputError(
        'bad_argument',
        `I have no recent conversation of yours in this channel. ${usage}`,
      );
    }
    await this.forget(recent);
    const link = await this.permalink(recent);
    await say(
      respond,
      'ephemeral',
      `Done: I reset your most recent conversation here${link ? ` (<${link}|this thread>)` : ''}. The next message there starts fresh.`,
    );
  }

  /** Stops an answer still streaming there (it would be saved after the reset), then forgets the history. */
  private async forget(key: ConversationKey): Promise<void> {
    await this.deps.engine.stop(key);
    await this.deps.engine.reset(key);
  }

  /** A link to a thread's first message, or undefined when Slack will not give one. */
  private async permalink(key: ConversationKey): Promise<string | undefined> {
    const { client } = this.deps;
    try {
      const found = await withRateLimitRetry(() =>
        client.chat.getPermalink({ channel: key.channel, message_ts: key.thread }),
      );
      return found.permalink;
    } catch (error) {
      this.deps.logger.info({ err: error }, 'no permalink for a reset conversation');
      return undefined;
    }
  }

  /** `/gemini-usage [thread link]`: tokens used by the caller, and by one conversation when given. */
  private async usage(command: SlashCommand, respond: RespondFn): Promise<void> {
    const key = this.conversationFromCommand(command) ?? {
      platform: 'slack' as const,
      workspace: command.team_id,
      channel: command.channel_id,
      thread: command.channel_id,
    };
    const totals = await this.deps.engine.usage(key, command.user_id);
    const lines = [`*Your usage:* ${formatTotals(totals.user)}`];
    if (totals.conversation.requests > 0)
      lines.push(`*This conversation:* ${formatTotals(totals.conversation)}`);
    lines.push(...formatBudgetLines('slack', totals.budgets));
    await say(respond, 'ephemeral', lines.join('\n'));
  }

  private async help(respond: RespondFn): Promise<void> {
    const n = this.names;
    await say(
      respond,
      'ephemeral',
      [
        '*Gemini in Slack*',
        '• Mention me in a channel and I answer in a thread; reply in that thread to continue without mentioning me.',
        '• Message me directly (or open the AI app) for a private conversation. Images, videos and text files work too.',
        `• ${n.ask} <question> asks in this channel; ${n.ask} --private <question> answers only you.`,
        `• ${n.summarize} [N] summarizes this channel's last N messages (50 by default) for you only, with links to them; in this DM, the channel you are looking at.`,
        `• ${n.model} [name|reset] shows or sets this channel's model.`,
        `• ${n.system} [prompt|reset] shows or (admins) sets this channel's system prompt.`,
        `• ${n.reset} forgets your latest conversation with me in this channel (in a DM: the DM's); ${n.reset} <thread link> a given thread, ${n.reset} --private your private one here. ${n.usage} shows token usage.`,
        '• The ⏹ Stop button ends an answer; 🔄 Regenerate answers again; 🆕 New conversation starts the thread afresh.',
        '• The app’s Home tab shows this help, the model of the channel you are looking at and your usage.',
      ].join('\n'),
    );
  }

  private access(command: SlashCommand) {
    return checkAccess(this.deps.config.access, {
      userId: command.user_id,
      channelIds: [command.channel_id],
      isDm: command.channel_id.startsWith('D'),
    });
  }

  private scope(command: SlashCommand): SettingsScope {
    return { platform: 'slack', workspace: command.team_id, channel: command.channel_id };
  }

  /** The conversation a command refers to: a thread link or ts argument, the command's thread, or a DM. */
  private conversationFromCommand(command: SlashCommand): ConversationKey | undefined {
    const base = { platform: 'slack' as const, workspace: command.team_id };
    const [argument] = splitCommandText(command.text);
    const link = /archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?thread_ts=(\d+\.\d+))?/.exec(argument);
    // The access lists judged this channel only: a link elsewhere (maybe a private channel) is refused.
    if (link && link[1] !== command.channel_id) {
      throw new UserInputError(
        'not_permitted',
        'Thread links work only in the channel where you run the command: run it in that thread’s channel.',
      );
    }
    if (link) return { ...base, channel: link[1]!, thread: link[4] ?? `${link[2]}.${link[3]}` };
    if (/^\d+\.\d+$/.test(argument)) return { ...base, channel: command.channel_id, thread: argument };
    const threadTs = (command as { thread_ts?: string }).thread_ts;
    if (threadTs) return { ...base, channel: command.channel_id, thread: threadTs };
    if (command.channel_id.startsWith('D'))
      return { ...base, channel: command.channel_id, thread: command.channel_id };
    return undefined;
  }
}

/** `--private` (or `-p`) first in a command's text: the caller's private conversation. */
const PRIVATE_FLAG = /^(--private|-p)\b/;

/**
 * The caller's private conversation in a channel (/ask --private): its own thread key, so no
 * shared thread's history ever holds it.
 */
function privateKey(command: SlashCommand): ConversationKey {
  return {
    platform: 'slack',
    workspace: command.team_id,
    channel: command.channel_id,
    thread: `private:${command.user_id}`,
  };
}

function say(respond: RespondFn, responseType: 'ephemeral' | 'in_channel', text: string): Promise<unknown> {
  return respond({ response_type: responseType, replace_original: false, text });
}

function formatTotals(totals: UsageTotals): string {
  const n = (value: number) => value.toLocaleString('en-US');
  return `${n(totals.requests)} requests, ${n(totals.totalTokens)} tokens (${n(totals.promptTokens)} prompt, ${n(totals.completionTokens)} completion, ${n(totals.reasoningTokens)} reasoning)`;
}
