/**
 * Each person's most recent conversation with the bot in each channel, so a bare /gemini-reset in
 * a channel (slash commands carry no thread) knows which thread the caller means. The pointer is a
 * message link in the store (`<prefix>:msg:slack:latest:<team>:<channel>:<user>`), so it lives on
 * every backend (memory, SQLite, Redis) and expires with the history it points to.
 */
import type { ConversationKey, HistoryStore } from '../../store/types.js';

export class RecentConversations {
  constructor(private readonly history: HistoryStore) {}

  /** `user` was just answered in `key`: it is now their most recent conversation in that channel. */
  async remember(key: ConversationKey, user: string): Promise<void> {
    await this.history.linkMessage('slack', pointerId(key.workspace, key.channel, user), key);
  }

  /** The conversation `user` last had answered in `channel`, if it is still remembered. */
  latest(workspace: string, channel: string, user: string): Promise<ConversationKey | undefined> {
    return this.history.findByMessage('slack', pointerId(workspace, channel, user));
  }
}

function pointerId(workspace: string, channel: string, user: string): string {
  return `latest:${workspace}:${channel}:${user}`;
}
