/**
 * What the loopback Slack workspace holds: channels, users, files and every message the bot wrote,
 * with the history of each message's text, so tests can assert on what a person in Slack would see
 * (and on how often it changed).
 */

/** One message as Slack would show it. */
export interface EmulatedMessage {
  channel: string;
  ts: string;
  /** Set when the message is a reply in a thread. */
  threadTs: string | undefined;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON as the bot sent it.
  blocks: any[] | undefined;
  /** Every text the message had, oldest first (the post, then each update or stream append). */
  versions: string[];
  /** `Date.now()` of the post and of each change. */
  changedAt: number[];
  /** Posted with chat.startStream and not yet stopped. */
  streaming: boolean;
  /** How the message was created. */
  via: 'postMessage' | 'startStream';
  streamStartedAt: number | undefined;
  /** Recipient of a native stream (the person who asked). */
  recipientUserId: string | undefined;
  deleted: boolean;
  /** task_update chunks streamed into the message, by task id, newest state of each. */
  tasks: Map<string, EmulatedTask>;
}

/** One task of a streamed message's timeline (a `task_update` chunk). */
export interface EmulatedTask {
  title: string;
  status: 'pending' | 'in_progress' | 'complete' | 'error';
  details: string | undefined;
  /** Every status the task had, oldest first. */
  statuses: string[];
}

/** An agent session (agents.sessions.setStatus), one per thread. */
export interface EmulatedSession {
  channel: string;
  threadTs: string;
  status: 'active' | 'processing' | 'suspended' | 'closed';
  title: string | undefined;
  initiatorUserId: string | undefined;
  /** Every status it was set to, oldest first (repeats included). */
  statuses: string[];
  /** Every title it had (the creating title, then each rename). */
  titles: string[];
}

export interface EmulatedUser {
  id: string;
  name: string;
  /** The profile's display name (users.info profile.display_name); `name` when not set. */
  displayName?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isBot?: boolean;
}

export interface EmulatedFile {
  id: string;
  name: string;
  mimetype: string;
  bytes: Buffer;
  /**
   * A remote file (files.remote.add): Slack stores no bytes, only this URL, chosen by the app that
   * added it. Its file object has `is_external: true`, `mode: "external"` and this as `url_private`.
   */
  externalUrl?: string;
  /** The app's own id for a remote file. */
  externalId?: string;
}

/** An ephemeral message (chat.postEphemeral or a `response_url` answer with `response_type: ephemeral`). */
export interface EmulatedEphemeral {
  channel: string | undefined;
  user: string | undefined;
  text: string;
  via: 'postEphemeral' | 'response_url';
  responseType: string | undefined;
  at: number;
  /** The response_url it was posted to (response_url answers only). */
  responseUrl?: string;
}

/** A message a person wrote (tests put them in; conversations.replies reads them). */
export interface EmulatedUserMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  user: string;
  text: string;
  /** File ids (of `files`) attached to the message. */
  fileIds: string[];
}

/** A modal opened with views.open. */
export interface EmulatedView {
  id: string;
  triggerId: string;
  // biome-ignore lint/suspicious/noExplicitAny: the view JSON as the bot sent it.
  view: any;
  openedAt: number;
}

/** Slack's trigger_id lives 3 seconds and opens one view. */
export const TRIGGER_LIFETIME_MS = 3_000;

/** The workspace's state; the server mutates it, tests read it. */
export class WorkspaceState {
  readonly messages: EmulatedMessage[] = [];
  readonly ephemerals: EmulatedEphemeral[] = [];
  readonly users = new Map<string, EmulatedUser>();
  readonly files = new Map<string, EmulatedFile>();
  /** Reactions the bot added, as `channel/ts/name` (a second identical one is `already_reacted`). */
  readonly reactions = new Set<string>();
  readonly userMessages: EmulatedUserMessage[] = [];
  readonly views: EmulatedView[] = [];
  /** Every trigger_id handed out in an interaction: when, and whether a view used it. */
  readonly triggers = new Map<string, { issuedAt: number; used: boolean }>();
  /** Agent sessions by `channel/thread_ts`. */
  readonly sessions = new Map<string, EmulatedSession>();
  /** Suggested prompts set per DM (agent apps: no thread_ts) or per `channel/thread_ts` (assistant apps). */
  readonly suggestedPrompts = new Map<string, { title: string | undefined; prompts: unknown[] }>();
  /** The Home tab each user sees (views.publish), by user id. */
  // biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON as the bot sent it.
  readonly homeViews = new Map<string, any>();
  /** Channel members (conversations.members) by channel; a channel listed here without the bot is `not_in_channel` for history. */
  readonly members = new Map<string, Set<string>>();
  // Slack ts values are "seconds.micro" strings; a counter keeps them unique and ordered.
  private sequence = 0;

  constructor(readonly teamId: string) {}

  /** A fresh, strictly increasing message timestamp. */
  nextTs(): string {
    this.sequence += 1;
    const seconds = Math.floor(Date.now() / 1000);
    return `${seconds}.${String(this.sequence).padStart(6, '0')}`;
  }

  /** A fresh trigger_id, as Slack puts in a shortcut or button payload; `issuedAgoMs` backdates it. */
  issueTrigger(issuedAgoMs = 0): string {
    const id = `${this.nextTs().replace('.', '')}.trigger`;
    this.triggers.set(id, { issuedAt: Date.now() - issuedAgoMs, used: false });
    return id;
  }

  /** Records a person's message (a thread root or reply) and returns it. */
  addUserMessage(
    fields: Omit<EmulatedUserMessage, 'ts' | 'fileIds'> & { fileIds?: string[] },
  ): EmulatedUserMessage {
    const message = { ...fields, fileIds: fields.fileIds ?? [], ts: this.nextTs() };
    this.userMessages.push(message);
    return message;
  }

  find(channel: string, ts: string): EmulatedMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  /** Messages of one thread (the bot's replies), oldest first. */
  thread(channel: string, threadTs: string): EmulatedMessage[] {
    return this.messages.filter(
      (message) => message.channel === channel && message.threadTs === threadTs && !message.deleted,
    );
  }

  addMessage(
    fields: Pick<EmulatedMessage, 'channel' | 'threadTs' | 'text' | 'blocks' | 'via' | 'recipientUserId'>,
  ): EmulatedMessage {
    const now = Date.now();
    const message: EmulatedMessage = {
      ...fields,
      ts: this.nextTs(),
      versions: [fields.text],
      changedAt: [now],
      streaming: fields.via === 'startStream',
      streamStartedAt: fields.via === 'startStream' ? now : undefined,
      deleted: false,
      tasks: new Map(),
    };
    this.messages.push(message);
    return message;
  }

  change(message: EmulatedMessage, text: string): void {
    message.text = text;
    message.versions.push(text);
    message.changedAt.push(Date.now());
  }

  clear(): void {
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.userMessages.length = 0;
    this.views.length = 0;
    this.triggers.clear();
    this.sessions.clear();
    this.suggestedPrompts.clear();
    this.homeViews.clear();
    this.members.clear();
  }
}
