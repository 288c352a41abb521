/**
 * Spend budgets (BUDGET_USER_DAILY_TOKENS, …): tokens per UTC calendar day and month, per user and
 * per space (a Discord server, a Slack workspace). A turn is refused before any upstream call once
 * a limit is used up; a turn that started under it finishes and is counted in full, even past it.
 * The first turn of a period to reach 80 % ends with a notice, once per period and subject, across
 * instances (the store's de-dupe). Counters live in `store.spend`, atomic on Redis.
 */
import type { Config } from '../config.js';
import { BudgetExceededError } from '../errors.js';
import type { Deduplicator, PlatformName, SpendCounterRef, SpendCounters } from '../store/types.js';
import type { Usage } from '../upstream/types.js';

export type BudgetScope = 'user' | 'space';
export type BudgetPeriod = 'day' | 'month';

/** Who a turn is charged to. */
export interface BudgetSubject {
  platform: PlatformName;
  /** The conversation key's workspace: guild id, Slack team id (Discord DMs: `@dm`, no space). */
  workspace: string;
  userId: string;
}

/** One budget as `/usage` shows it. */
export interface BudgetLine {
  scope: BudgetScope;
  period: BudgetPeriod;
  used: number;
  /** 0 = no limit. */
  limit: number;
  /** Epoch ms of the next UTC day or month. */
  resetsAt: number;
}

/** Share of a limit at which the one-time notice is shown. */
const NOTICE_SHARE = 0.8;
/** Counters outlive their period a little, so instances whose clocks differ slightly agree. */
const EXPIRY_MARGIN_MS = 60 * 60 * 1000;
/** Discord's DMs have no guild: no space budget applies there (src/platforms/discord/normalize.ts). */
const NO_SPACE = '@dm';

interface Counter extends BudgetLine {
  ref: SpendCounterRef;
}

/**
 * The tokens a turn costs: prompt + completion, where AceData's completion_tokens already include
 * the reasoning tokens (the API page's usage block); a gateway whose total_tokens is larger (one
 * that reports reasoning outside completion) is charged its total.
 */
export function spentTokens(usage: Usage): number {
  const sum = whole(usage.promptTokens) + whole(usage.completionTokens);
  return Math.max(sum, whole(usage.totalTokens));
}

/** The UTC period `now` falls in: its label (part of the counter id) and its end. */
export function periodAt(period: BudgetPeriod, now: number): { label: string; endsAt: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === 'month') {
    return { label: `${year}-${pad(month + 1)}`, endsAt: Date.UTC(year, month + 1, 1) };
  }
  const day = date.getUTCDate();
  return { label: `${year}-${pad(month + 1)}-${pad(day)}`, endsAt: Date.UTC(year, month, day + 1) };
}

/** "00:00 UTC on 2 December 2026": when a budget period starts again. */
export function resetMoment(resetsAt: number): string {
  const date = new Date(resetsAt).toLocaleDateString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
  return `00:00 UTC on ${date}`;
}

export class SpendBudgets {
  constructor(
    private readonly counters: SpendCounters,
    private readonly dedupe: Deduplicator,
    private readonly limits: Config['budgets'],
  ) {}

  /** Whether any limit is set (otherwise turns are still counted, for `/usage`, but never refused). */
  get enabled(): boolean {
    return Object.values(this.limits).some((limit) => limit > 0);
  }

  /** The first budget of `subject` that is used up, as the refusal to give; undefined when none is. */
  async check(subject: BudgetSubject, now = Date.now()): Promise<BudgetExceededError | undefined> {
    if (!this.enabled) return undefined;
    const limited = this.countersOf(subject, now).filter((counter) => counter.limit > 0);
    const used = await this.counters.read(limited.map((counter) => counter.ref.id));
    const over = limited.find((counter, index) => (used[index] ?? 0) >= counter.limit);
    if (!over) return undefined;
    return new BudgetExceededError({
      platform: subject.platform,
      scope: over.scope,
      period: over.period,
      limitTokens: over.limit,
      resetsAt: over.resetsAt,
      now,
    });
  }

  /**
   * Charges a finished turn's tokens to every period of `subject`; returns the notices to end the
   * answer with: one per budget that reached 80 % now, the first time in its period.
   */
  async record(subject: BudgetSubject, usage: Usage, now = Date.now()): Promise<string[]> {
    const tokens = spentTokens(usage);
    if (tokens === 0) return [];
    const counters = this.countersOf(subject, now);
    const totals = await this.counters.add(
      counters.map((counter) => counter.ref),
      tokens,
    );
    const notices: string[] = [];
    for (const [index, counter] of counters.entries()) {
      const used = totals[index] ?? 0;
      if (counter.limit <= 0 || used < counter.limit * NOTICE_SHARE) continue;
      const first = await this.dedupe
        .claim(`budget-notice:${counter.ref.id}`, Math.max(1, counter.ref.expiresAt - now))
        .catch(() => false);
      if (first) notices.push(budgetNotice(subject.platform, { ...counter, used }));
    }
    return notices;
  }

  /** Used and limit of every budget of `subject` this day and month, for `/usage`. */
  async report(subject: BudgetSubject, now = Date.now()): Promise<BudgetLine[]> {
    const counters = this.countersOf(subject, now);
    const used = await this.counters.read(counters.map((counter) => counter.ref.id));
    return counters.map(({ scope, period, limit, resetsAt }, index) => ({
      scope,
      period,
      limit,
      resetsAt,
      used: used[index] ?? 0,
    }));
  }

  private countersOf(subject: BudgetSubject, now: number): Counter[] {
    const subjects: Array<[BudgetScope, string]> = [['user', `user:${subject.platform}:${subject.userId}`]];
    if (subject.workspace !== NO_SPACE)
      subjects.push(['space', `space:${subject.platform}:${subject.workspace}`]);
    const counters: Counter[] = [];
    for (const [scope, id] of subjects) {
      for (const period of ['day', 'month'] as const) {
        const { label, endsAt } = periodAt(period, now);
        counters.push({
          scope,
          period,
          used: 0,
          limit: this.limitOf(scope, period),
          resetsAt: endsAt,
          ref: { id: `${id}:${period}:${label}`, expiresAt: endsAt + EXPIRY_MARGIN_MS },
        });
      }
    }
    return counters;
  }

  private limitOf(scope: BudgetScope, period: BudgetPeriod): number {
    if (scope === 'user') return period === 'day' ? this.limits.userDaily : this.limits.userMonthly;
    return period === 'day' ? this.limits.spaceDaily : this.limits.spaceMonthly;
  }
}

/** The line an answer ends with when it took a budget to 80 % or past its limit. */
export function budgetNotice(platform: PlatformName, line: BudgetLine): string {
  const whose = line.scope === 'user' ? 'your' : `this ${spaceName(platform)}'s`;
  const limit = `${whose} ${line.period === 'day' ? 'daily' : 'monthly'} limit of ${tokens(line.limit)} tokens`;
  const resets = resetMoment(line.resetsAt);
  if (line.used >= line.limit) {
    return `_This answer used up ${limit}; new questions wait until ${resets}._`;
  }
  const percent = Math.floor((line.used / line.limit) * 100);
  return `_${percent} % of ${limit} is used; it resets at ${resets}._`;
}

/** The `/usage` lines of the budgets: used and limit for the day and the month, per scope. */
export function formatBudgetLines(platform: PlatformName, lines: readonly BudgetLine[]): string[] {
  const out: string[] = [];
  for (const scope of ['user', 'space'] as const) {
    const day = lines.find((line) => line.scope === scope && line.period === 'day');
    const month = lines.find((line) => line.scope === scope && line.period === 'month');
    if (!day || !month) continue;
    const who = scope === 'user' ? 'You' : `This ${spaceName(platform)}`;
    out.push(`${who}, today (UTC): ${usedOf(day)} · this month: ${usedOf(month)}`);
  }
  return out;
}

function usedOf(line: BudgetLine): string {
  return line.limit > 0
    ? `${tokens(line.used)} of ${tokens(line.limit)} tokens`
    : `${tokens(line.used)} tokens (no limit)`;
}

/** What a "space" is called where the user is. */
export function spaceName(platform: string): string {
  return platform === 'discord' ? 'server' : platform === 'slack' ? 'workspace' : 'session';
}

function tokens(value: number): string {
  return value.toLocaleString('en-US');
}

function whole(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
