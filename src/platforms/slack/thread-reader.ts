/**
 * Reads a thread with conversations.replies (the root first, oldest to newest), page by page,
 * up to a cap: what the shortcuts give the model as context.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackFile } from './normalize.js';
import { withRateLimitRetry } from './web-api.js';

/** One message of a thread, as the shortcuts use it. */
export interface ThreadMessage {
  ts: string;
  /** The thread this message replies in (a root's own ts, or undefined outside threads). */
  threadTs?: string | undefined;
  user: string | undefined;
  botId: string | undefined;
  /** Slack's subtype: undefined for what a person wrote, `channel_join` and the like for notices. */
  subtype?: string | undefined;
  text: string;
  files: SlackFile[];
}

/** The fields both readers take from a Web API message (conversations.replies or .history). */
interface WireMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  files?: readonly unknown[];
}

/** A message as the readers hand it on; the thread it belongs to is the thread reader's to add. */
export function messageOf(message: WireMessage): ThreadMessage {
  return {
    ts: message.ts ?? '',
    user: message.user,
    botId: message.bot_id,
    subtype: message.subtype,
    text: message.text ?? '',
    files: (message.files ?? []) as SlackFile[],
  };
}

/** More than this many messages of one thread are not read (Slack pages at up to 1,000). */
const MAX_MESSAGES = 1_000;
const PAGE_SIZE = 200;

export async function readThread(
  client: WebClient,
  channel: string,
  threadTs: string,
): Promise<ThreadMessage[]> {
  const messages: ThreadMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await withRateLimitRetry(() =>
      client.conversations.replies({
        channel,
        ts: threadTs,
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      }),
    );
    for (const message of page.messages ?? []) {
      messages.push({ ...messageOf(message), threadTs: message.thread_ts });
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor && messages.length < MAX_MESSAGES);
  return messages.slice(0, MAX_MESSAGES);
}
