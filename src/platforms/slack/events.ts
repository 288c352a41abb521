/**
 * The Events API events the adapter handles, in one list the manifest test checks against
 * commands/slack-manifest.yaml. New apps are agent apps (`features.agent_view`); apps created from
 * an older manifest (`assistant_view`) still get `assistant_thread_started`, answered as before.
 */

/** What an agent app subscribes to: the manifest's `bot_events`, the Events API names. */
export const AGENT_APP_EVENTS = [
  'app_mention',
  'message.im',
  'message.channels',
  'message.groups',
  'app_home_opened',
  'app_context_changed',
  // Slack's own stop button on a processing session; without it Slack shows a stop-less spinner.
  'agent_session_stopped',
] as const;

/** Only apps still on `assistant_view` get these; the adapter keeps answering them. */
export const ASSISTANT_APP_EVENTS = ['assistant_thread_started'] as const;
