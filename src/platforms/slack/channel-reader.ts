/**
 * Reads a channel's newest top-level messages with conversations.history (Slack returns them newest
 * first, page by page), up to a count: what `/gemini-summarize` summarizes.
 */
import type { WebClient } from '@slack/web-api';
import { messageOf, type ThreadMessage } from './thread-reader.js';
import { withRateLimitRetry } from './web-api.js';

/** Slack's default page size (it recommends no more than 200, and may return fewer than asked). */
const PAGE_SIZE = 100;

/** Up to `count` of the newest top-level messages of `channel`, oldest first. */
export async function readChannel(
  client: WebClient,
  channel: string,
  count: number,
): Promise<ThreadMessage[]> {
  const messages: ThreadMessage[] = [];
  let cursor: string | undefined;
  do {
    const page = await withRateLimitRetry(() =>
      client.conversations.history({
        channel,
        limit: Math.min(PAGE_SIZE, count - messages.length),
        ...(cursor ? { cursor } : {}),
      }),
    );
    for (const message of page.messages ?? []) {
      messages.push(messageOf(message));
    }
    cursor = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
  } while (cursor && messages.length < count);
  return messages.slice(0, count).reverse();
}
