/**
 * Who manages the bot in a Slack workspace: users in ADMIN_USERS, and workspace admins and owners
 * according to users.info (cached a few minutes, so a button press costs no Web API call).
 */
import type { WebClient } from '@slack/web-api';
import { withRateLimitRetry } from './web-api.js';

const ADMIN_CACHE_MS = 5 * 60_000;

export class SlackAdmins {
  private readonly cache = new Map<string, { admin: boolean; until: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly adminUsers: readonly string[],
  ) {}

  /** ADMIN_USERS, or a workspace admin/owner. Throws when users.info fails (the caller says so). */
  async isAdmin(userId: string): Promise<boolean> {
    if (this.adminUsers.includes(userId)) return true;
    const cached = this.cache.get(userId);
    if (cached && cached.until > Date.now()) return cached.admin;
    const info = await withRateLimitRetry(() => this.client.users.info({ user: userId }));
    const admin = Boolean(info.user?.is_admin || info.user?.is_owner || info.user?.is_primary_owner);
    this.cache.set(userId, { admin, until: Date.now() + ADMIN_CACHE_MS });
    return admin;
  }
}
