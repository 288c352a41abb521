/**
 * The "New conversation" button on the bot's last reply of a thread: forgets that thread's
 * history, so the next message there starts fresh. Pressed only by the asker or an admin (the
 * same rule as Stop and Regenerate, SlackAdapter.mayPress); an answer still streaming is stopped
 * first, or it would be saved after the reset.
 */
import type { App } from '@slack/bolt';
import { describeError } from '../../engine/describe-error.js';
import type { SlackAdapter, SlackAdapterDeps } from './adapter.js';
import { threadOf } from './adapter.js';
import { NEW_CONVERSATION_ACTION_ID } from './reply-blocks.js';

const DONE = 'Done: I forgot this thread’s conversation. The next message here starts fresh.';

/** Registers the button's action listener. */
export function registerNewConversation(app: App, adapter: SlackAdapter, deps: SlackAdapterDeps): void {
  app.action(NEW_CONVERSATION_ACTION_ID, async ({ ack, body, action }) => {
    await ack();
    const key = adapter.keyFromButton(body, (action as { value?: string }).value);
    const user = (body as { user?: { id?: string } }).user?.id;
    if (!key || !user || !(await adapter.mayPress(key, user))) return;
    try {
      await deps.engine.stop(key);
      await deps.engine.reset(key);
      await deps.replies.tellPrivately(key.channel, user, threadOf(key), DONE);
    } catch (error) {
      deps.logger.warn({ err: error }, 'New conversation failed');
      await deps.replies.tellPrivately(key.channel, user, threadOf(key), describeError(error));
    }
  });
}
