/**
 * Builders for the payloads Slack sends, in the shapes Slack documents: events (app_mention,
 * message.*, assistant_thread_started, app_home_opened, app_context_changed, agent_session_stopped), block_actions interactions and slash command fields.
 * Only the fields the bot (and Bolt) read are filled in.
 */

let counter = 0;
/** A user-message timestamp, unique and increasing within the process. */
export function userTs(): string {
  counter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(500_000 + counter).padStart(6, '0')}`;
}

export interface MessageFields {
  channel: string;
  user: string;
  text: string;
  ts?: string;
  threadTs?: string;
  teamId?: string;
  files?: Record<string, unknown>[];
  /** e.g. file_share, thread_broadcast, channel_join, message_changed */
  subtype?: string;
  botId?: string;
  channelType?: 'channel' | 'group' | 'im' | 'mpim';
}

function messageBody(type: string, fields: MessageFields): Record<string, unknown> {
  return {
    type,
    user: fields.user,
    text: fields.text,
    ts: fields.ts ?? userTs(),
    channel: fields.channel,
    event_ts: fields.ts ?? userTs(),
    team: fields.teamId ?? 'T0EMULATED',
    ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    ...(fields.files ? { files: fields.files, upload: false } : {}),
    ...(fields.subtype ? { subtype: fields.subtype } : {}),
    ...(fields.botId ? { bot_id: fields.botId } : {}),
    ...(type === 'message'
      ? { channel_type: fields.channelType ?? (fields.channel.startsWith('D') ? 'im' : 'channel') }
      : {}),
  };
}

/** `app_mention`: someone wrote `<@BOT> …` in a channel. */
export function appMention(fields: MessageFields): Record<string, unknown> {
  return messageBody('app_mention', fields);
}

/** `message` (message.channels / message.im / …). */
export function message(fields: MessageFields): Record<string, unknown> {
  return messageBody('message', fields);
}

/** `message` with subtype `message_changed`: what Slack sends after the bot's own chat.update. */
export function messageChanged(fields: {
  channel: string;
  ts: string;
  text: string;
  botId: string;
  botUserId: string;
  threadTs?: string;
}): Record<string, unknown> {
  const inner = {
    type: 'message',
    user: fields.botUserId,
    bot_id: fields.botId,
    text: fields.text,
    ts: fields.ts,
    ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    edited: { user: fields.botUserId, ts: userTs() },
  };
  return {
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    channel: fields.channel,
    channel_type: fields.channel.startsWith('D') ? 'im' : 'channel',
    ts: userTs(),
    event_ts: userTs(),
    message: inner,
    previous_message: { ...inner, text: '' },
  };
}

/** `assistant_thread_started`: the user opened the AI app surface (a DM thread). */
export function assistantThreadStarted(fields: {
  channel: string;
  user: string;
  threadTs: string;
  teamId?: string;
}): Record<string, unknown> {
  return {
    type: 'assistant_thread_started',
    assistant_thread: {
      user_id: fields.user,
      context: { channel_id: undefined, team_id: fields.teamId ?? 'T0EMULATED', enterprise_id: null },
      channel_id: fields.channel,
      thread_ts: fields.threadTs,
    },
    event_ts: userTs(),
  };
}

/** `app_home_opened`: the user opened the app's Messages tab (its DM) or its Home tab. */
export function appHomeOpened(fields: {
  user: string;
  channel: string;
  tab: 'home' | 'messages';
  /** What the user was looking at (sent when the app subscribes to app_context_changed). */
  viewingChannel?: string;
  teamId?: string;
}): Record<string, unknown> {
  return {
    type: 'app_home_opened',
    user: fields.user,
    channel: fields.channel,
    tab: fields.tab,
    event_ts: userTs(),
    ...(fields.viewingChannel ? { context: contextOf(fields.viewingChannel, fields.teamId) } : {}),
  };
}

/** `app_context_changed`: with the app open, the user moved to another channel (or to none: `context: {}`). */
export function appContextChanged(fields: {
  user: string;
  /** The app's DM with the user. */
  channel: string;
  viewingChannel: string | undefined;
  teamId?: string;
}): Record<string, unknown> {
  return {
    type: 'app_context_changed',
    user: fields.user,
    channel: fields.channel,
    context: fields.viewingChannel ? contextOf(fields.viewingChannel, fields.teamId) : {},
    event_ts: userTs(),
  };
}

function contextOf(channel: string, teamId = 'T0EMULATED'): Record<string, unknown> {
  return { entities: [{ type: 'slack#/types/channel_id', value: channel, team_id: teamId }] };
}

/** `agent_session_stopped`: the user pressed Slack's own stop button on a processing session. */
export function agentSessionStopped(fields: {
  user: string;
  channel: string;
  threadTs: string;
  streamingMessageTs?: string[];
}): Record<string, unknown> {
  return {
    type: 'agent_session_stopped',
    user: fields.user,
    channel: fields.channel,
    thread_ts: fields.threadTs,
    streaming_message_ts: fields.streamingMessageTs ?? [],
    event_ts: userTs(),
  };
}

/**
 * A `block_actions` interaction: a button in one of the bot's messages was pressed, a feedback
 * button clicked (`element: 'feedback_buttons'`, `value` the clicked button's) or an option chosen
 * in a menu (`element: 'static_select'`, `value` the option's).
 */
export function blockAction(fields: {
  actionId: string;
  value?: string;
  element?: 'button' | 'feedback_buttons' | 'static_select';
  blockId?: string;
  user: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  teamId?: string;
  responseUrl?: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: {
      id: fields.user,
      username: fields.user,
      name: fields.user,
      team_id: fields.teamId ?? 'T0EMULATED',
    },
    api_app_id: 'A0EMULATED',
    token: 'legacy-verification-token',
    container: {
      type: 'message',
      message_ts: fields.messageTs,
      channel_id: fields.channel,
      is_ephemeral: false,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    },
    trigger_id: `trigger-${userTs()}`,
    team: { id: fields.teamId ?? 'T0EMULATED', domain: 'emulated' },
    channel: { id: fields.channel, name: 'emulated' },
    message: {
      type: 'message',
      ts: fields.messageTs,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
      text: '',
    },
    response_url: fields.responseUrl ?? 'http://127.0.0.1:9/unused',
    actions: [
      {
        type: fields.element ?? 'button',
        action_id: fields.actionId,
        block_id: fields.blockId ?? 'reply_actions',
        ...(fields.element === 'static_select'
          ? { selected_option: { text: { type: 'plain_text', text: 'option' }, value: fields.value ?? '' } }
          : { value: fields.value ?? '' }),
        action_ts: userTs(),
      },
    ],
  };
}

/** The form fields of a slash command invocation. */
export function slashCommand(fields: {
  command: string;
  text: string;
  user: string;
  channel: string;
  responseUrl: string;
  teamId?: string;
  threadTs?: string;
}): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: fields.teamId ?? 'T0EMULATED',
    team_domain: 'emulated',
    channel_id: fields.channel,
    channel_name: fields.channel.startsWith('D') ? 'directmessage' : 'general',
    user_id: fields.user,
    user_name: fields.user,
    command: fields.command,
    text: fields.text,
    api_app_id: 'A0EMULATED',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: `trigger-${userTs()}`,
    ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
  };
}

/** A message shortcut (`message_action`): someone chose one of the app's shortcuts on a message. */
export function messageAction(fields: {
  callbackId: string;
  triggerId: string;
  user: string;
  channel: string;
  message: { ts: string; user: string; text: string; threadTs?: string; files?: Record<string, unknown>[] };
  teamId?: string;
}): Record<string, unknown> {
  const team = fields.teamId ?? 'T0EMULATED';
  return {
    type: 'message_action',
    token: 'legacy-verification-token',
    action_ts: userTs(),
    team: { id: team, domain: 'emulated' },
    user: { id: fields.user, username: fields.user, name: fields.user, team_id: team },
    channel: { id: fields.channel, name: 'emulated' },
    is_enterprise_install: false,
    callback_id: fields.callbackId,
    trigger_id: fields.triggerId,
    response_url: 'http://127.0.0.1:9/unused',
    message_ts: fields.message.ts,
    message: {
      type: 'message',
      user: fields.message.user,
      text: fields.message.text,
      ts: fields.message.ts,
      ...(fields.message.threadTs ? { thread_ts: fields.message.threadTs } : {}),
      ...(fields.message.files ? { files: fields.message.files } : {}),
    },
  };
}

/**
 * A `view_submission`: the person pressed the modal's submit button. `values` is
 * `state.values` as Slack builds it (block_id → action_id → element state).
 */
export function viewSubmission(fields: {
  user: string;
  // biome-ignore lint/suspicious/noExplicitAny: the view as it was opened.
  view: any & { id: string };
  values: Record<string, Record<string, Record<string, unknown>>>;
  teamId?: string;
}): Record<string, unknown> {
  const team = fields.teamId ?? 'T0EMULATED';
  return {
    type: 'view_submission',
    token: 'legacy-verification-token',
    team: { id: team, domain: 'emulated' },
    user: { id: fields.user, username: fields.user, name: fields.user, team_id: team },
    api_app_id: 'A0EMULATED',
    trigger_id: `${userTs().replace('.', '')}.submission`,
    view: {
      ...fields.view,
      team_id: team,
      type: 'modal',
      state: { values: fields.values },
      hash: `${fields.view.id}.hash`,
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}
