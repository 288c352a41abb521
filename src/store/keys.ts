/**
 * The one place that spells store keys. Every key starts with the configured prefix, then its area
 * (docs/architecture.md, "Storage keys"), so an operator can find, count or delete one area with a
 * single SCAN pattern and two deployments can share one Redis under different prefixes.
 */
import type { PlatformName, SettingsScope } from './types.js';

/** The areas of the key space, in the order the architecture document lists them. */
export type KeyArea =
  | 'history'
  | 'settings'
  | 'usage'
  | 'feedback'
  | 'msg'
  | 'dedupe'
  | 'lock'
  | 'rate'
  | 'gate'
  | 'viewing';

/** Builds the keys of one store prefix. */
export class StoreKeys {
  constructor(readonly prefix: string) {}

  /** `<prefix>:<area>:<rest>`; the pattern of a whole area is `area('x', '*')`. */
  area(area: KeyArea, rest: string): string {
    return `${this.prefix}:${area}:${rest}`;
  }

  /** One value per conversation: `{ turns: Turn[] }`. */
  history(conversationId: string): string {
    return this.area('history', conversationId);
  }

  /** Platform message → conversation, so a reply to any message of a thread finds its history. */
  message(platform: PlatformName, messageId: string): string {
    return this.area('msg', `${platform}:${messageId}`);
  }

  /** A channel's settings (no thread) or a thread's (`…:<thread>`). */
  settings(scope: SettingsScope): string {
    const base = `${scope.platform}:${scope.workspace}:${scope.channel}`;
    return this.area('settings', scope.thread === undefined ? base : `${base}:${scope.thread}`);
  }

  usageOfConversation(conversationId: string): string {
    return this.area('usage', `conversation:${conversationId}`);
  }

  usageOfUser(platform: PlatformName, userId: string): string {
    return this.area('usage', `user:${platform}:${userId}`);
  }

  /** A spend-budget period counter (`SpendCounterRef.id`), in the usage area. */
  spend(counterId: string): string {
    return this.area('usage', `spend:${counterId}`);
  }

  /** One user's rating of one answer message. */
  feedback(platform: PlatformName, messageId: string, userId: string): string {
    return this.area('feedback', `rating:${platform}:${messageId}:${userId}`);
  }

  /** The rating keys written on one UTC day (`YYYY-MM-DD`), the index the export walks. */
  feedbackDay(day: string): string {
    return this.area('feedback', `day:${day}`);
  }

  dedupe(id: string): string {
    return this.area('dedupe', id);
  }

  lock(id: string): string {
    return this.area('lock', id);
  }

  rate(id: string): string {
    return this.area('rate', id);
  }

  gate(part: string): string {
    return this.area('gate', part);
  }

  /** What one person is viewing (ViewingContextStore). */
  viewing(platform: PlatformName, workspace: string, userId: string): string {
    return this.area('viewing', `${platform}:${workspace}:${userId}`);
  }
}
