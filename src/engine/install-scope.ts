/**
 * Install scope: the Discord guilds / Slack teams this deployment serves (ALLOW_GUILDS,
 * ALLOW_TEAMS; empty = any). A bot invited anywhere else answers nothing there and spends no
 * upstream credit; each such place is logged once per process, so a busy foreign workspace cannot
 * flood the log.
 */
import type { Logger } from '../log.js';

export class InstallScope {
  private readonly allowed: ReadonlySet<string>;
  private readonly reported = new Set<string>();

  /**
   * @param allowed guild or team ids; empty admits every place.
   * @param what how the log names a place (`guild`, `team`).
   */
  constructor(
    allowed: readonly string[],
    private readonly what: 'guild' | 'team',
    private readonly logger: Logger,
  ) {
    this.allowed = new Set(allowed);
  }

  /** Whether anything is restricted at all. */
  get restricted(): boolean {
    return this.allowed.size > 0;
  }

  /** Whether the bot serves `placeId`. The first refusal of each place is logged (at warn). */
  admits(placeId: string | null | undefined): boolean {
    if (this.allowed.size === 0) return true;
    if (placeId && this.allowed.has(placeId)) return true;
    const id = placeId ?? 'unknown';
    if (!this.reported.has(id)) {
      this.reported.add(id);
      this.logger.warn(
        { [this.what]: id },
        `${this.what} is outside the install scope; ignoring everything from it`,
      );
    }
    return false;
  }

  /** Whether `placeId` is served, without logging (choosing which shared guilds count). */
  includes(placeId: string): boolean {
    return this.allowed.size === 0 || this.allowed.has(placeId);
  }
}
