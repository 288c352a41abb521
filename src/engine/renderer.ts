/**
 * The progressive reply: a placeholder posted at once, then the answer as it streams, edited in
 * place at most once per `editIntervalMs`, continued in new messages past `maxMessageLength`.
 *
 * One call to the sink is in flight at a time and each call carries the newest text, so a slow or
 * rate-limited platform makes the reply update less often but never lose text or reorder it
 * (the single-flight loop of Vercel's Chat SDK, plus the `retry_after` it ignores). Every message's
 * text is derived from the whole answer on each flush (`splitMessage`), so splitting is stable and
 * only messages whose text changed are edited. See docs/architecture.md, "The renderer's contract".
 */
import { PlatformRateLimitError } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { exceedsRetryAfterCap } from '../retry-after.js';
import { describeError } from './describe-error.js';
import { closeOpenMarkdown, splitMessage } from './split.js';
import type { ReasoningDisplay, ReplyPhase, ReplySink } from './types.js';

export interface RendererOptions {
  /** How reasoning shows before the first content (config REASONING_DISPLAY). */
  reasoningDisplay: ReasoningDisplay;
  /** Longest answer kept (config MAX_ANSWER_CHARS); past it the reply ends with a note. Default: no cap. */
  maxAnswerChars?: number;
  /** Clock, for tests; defaults to Date.now. */
  now?: () => number;
  /** Cap for the edit interval as it doubles after rate limits; default 10 s. */
  maxIntervalMs?: number;
  /** How often "💭 Thinking… 12s" refreshes; default 2 s, never faster than the sink's interval. */
  statusTickMs?: number;
  logger?: Logger;
}

/** Counters for metrics and benchmarks. */
export interface RendererStats {
  posts: number;
  edits: number;
  rateLimits: number;
  /** Flushes that found every message already showing the wanted text. */
  skippedUnchanged: number;
}

/** Shown before anything else is known. */
export const PLACEHOLDER_TEXT = '⏳ Thinking…';
/** Appended to the answer while it is still streaming. */
export const STREAMING_INDICATOR = ' ▌';
export const STOPPED_MARKER = '_Stopped._';
/** What a finished reply shows when the model returned no visible text at all. */
export const EMPTY_ANSWER_TEXT = '_The model returned an empty answer._';

// Discord's typing indicator lasts 10 s (../../docs/platform-limits.md): renew it a bit sooner.
export const TYPING_EVERY_MS = 8_000;
// Other sink errors: retry twice (after 1 s, then 2 s), then stop editing this reply.
const MAX_SINK_RETRIES = 2;
const RETRY_BASE_MS = 1_000;
// A platform that answers 429 forever must not keep complete() waiting forever.
const MAX_CONSECUTIVE_RATE_LIMITS = 10;
// In 'text' mode, show at most this much of the latest reasoning.
const REASONING_TAIL_CHARS = 1_000;
/** Reasoning kept in memory in 'text' mode: enough for the shown tail, not the megabytes a model may think. */
export const REASONING_RETAINED_CHARS = 2_000;

/** The line a reply cut at `maxAnswerChars` ends with. */
export function answerCutMarker(maxAnswerChars: number): string {
  return `_The answer was cut off at ${maxAnswerChars.toLocaleString('en-US')} characters._`;
}

interface MessageState {
  text: string;
  phase: ReplyPhase;
}

interface PlannedCall extends MessageState {
  index: number;
  /** Whether this text includes answer content (the "first content at once" rule is then met). */
  carriesContent: boolean;
}

/**
 * Renders one reply into a `ReplySink`. Feed it `status`, `reasoning` and `content` as they come,
 * then end with exactly one of `complete`, `stop` or `fail`. It never throws and never hangs on a
 * failing sink: after a few failed calls it stops editing and the ending still resolves.
 *
 * Phases: the last message carries the reply's phase (`streaming`, then `done`, `stopped` or
 * `interrupted`); a message followed by another is finished and is sent with `done`.
 */
export class ReplyRenderer {
  /** Platform-side message ids posted so far, in reply order. */
  readonly messageIds: string[] = [];

  /** The answer so far: every content delta, in order, as the model wrote it. */
  get text(): string {
    return this.answer;
  }
  /** Characters of reasoning held in memory: a short tail in 'text' mode, none otherwise. */
  get retainedReasoningChars(): number {
    return this.reasoningText.length;
  }

  /** The answer reached `maxAnswerChars`: later content is dropped; the caller should stop the stream. */
  get answerCut(): boolean {
    return this.cut;
  }
  readonly stats: RendererStats = { posts: 0, edits: 0, rateLimits: 0, skippedUnchanged: 0 };

  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly maxIntervalMs: number;
  private readonly statusTickMs: number;
  private readonly shown: MessageState[] = [];

  private answer = '';
  private readonly footers: string[] = [];
  private cut = false;
  private hasContent = false;
  private contentShown = false;
  private reasoningText = '';
  private reasoningStarted = false;
  private statusText: string | undefined;
  private thinkingSeconds: number | undefined;
  private phase: ReplyPhase = 'streaming';
  private failReason = '';
  private startedAt: number;

  private intervalMs: number;
  private lastCallAt = Number.NEGATIVE_INFINITY;
  private notBefore = 0;
  private failures = 0;
  private rateLimitsInARow = 0;
  private gaveUp = false;
  private inputSinceLastCall = false;

  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private wakeSleeper: (() => void) | undefined;
  private firstCallSettled: (() => void) | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private typingTimer: NodeJS.Timeout | undefined;
  private ending: Promise<string[]> | undefined;

  constructor(
    private readonly sink: ReplySink,
    private readonly options: RendererOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
    this.logger = options.logger ?? silentLogger;
    this.intervalMs = sink.limits.editIntervalMs;
    this.maxIntervalMs = Math.max(options.maxIntervalMs ?? 10_000, this.intervalMs);
    this.statusTickMs = Math.max(options.statusTickMs ?? 2_000, this.intervalMs);
    this.startedAt = this.now();
  }

  /**
   * Shows the placeholder at once (hidden reasoning: the typing indicator instead). Resolves when
   * that first call returned, successfully or not; it does not wait for retries.
   */
  async start(): Promise<void> {
    if (this.ending) return;
    this.startedAt = this.now();
    if (this.options.reasoningDisplay === 'hidden') {
      this.sendTyping();
      this.typingTimer = setInterval(() => this.sendTyping(), TYPING_EVERY_MS);
      return;
    }
    const settled = new Promise<void>((resolve) => {
      this.firstCallSettled = resolve;
    });
    this.wake(true);
    if (!this.running) this.settleFirstCall();
    await settled;
  }

  /**
   * A status line shown while there is no content yet ("Queued (position 3)…"). Hidden mode shows
   * none: it posts nothing before the answer starts, so the replies of a thread appear in the order
   * their answers start (turns are answered one at a time), never a later turn's status first.
   */
  status(text: string): void {
    if (this.ending || this.hasContent || this.options.reasoningDisplay === 'hidden') return;
    this.statusText = text;
    this.wake(false);
  }

  reasoning(delta: string): void {
    if (this.ending || this.hasContent || delta === '') return;
    // Only 'text' mode shows reasoning, and only its tail: keep no more than that in memory.
    if (this.options.reasoningDisplay === 'text') {
      this.reasoningText = (this.reasoningText + delta).slice(-REASONING_RETAINED_CHARS);
    }
    const first = !this.reasoningStarted;
    this.reasoningStarted = true;
    if (first) {
      // The model is now thinking: whatever the status said (queued, retrying) is over.
      this.statusText = undefined;
      if (this.options.reasoningDisplay === 'status') {
        this.statusTimer = setInterval(() => {
          this.thinkingSeconds = Math.floor((this.now() - this.startedAt) / 1000);
          this.wake(false);
        }, this.statusTickMs);
      }
    }
    // In 'status' and 'hidden' modes later deltas change nothing visible: no wake, no skipped edit.
    if (first || this.options.reasoningDisplay === 'text') this.wake(false);
  }

  content(delta: string): void {
    if (this.ending || this.cut || delta === '') return;
    const room = (this.options.maxAnswerChars ?? Number.POSITIVE_INFINITY) - this.answer.length;
    if (delta.length > room) {
      delta = delta.slice(0, endBeforeSurrogateSplit(delta, room));
      this.cut = true;
      this.logger.info(
        { maxAnswerChars: this.options.maxAnswerChars },
        'answer reached its size cap; cut there',
      );
      this.wake(false);
      if (delta === '') return;
    }
    this.answer += delta;
    if (!this.hasContent && /\S/.test(delta)) {
      this.hasContent = true;
      this.clearTimers();
      this.wake(true);
      return;
    }
    this.wake(false);
  }

  /**
   * A line the ended reply closes with, outside the answer (so never saved to history): the model
   * that answered after a fallback, a budget notice. Call before `complete` or `stop`.
   */
  footer(line: string): void {
    if (!this.ending) this.footers.push(line);
  }

  /** The answer is complete: the messages end up holding exactly the split answer, phase 'done'. */
  complete(): Promise<string[]> {
    return this.end('done');
  }

  /** Cancelled by the user: the partial text stays, followed by "_Stopped._", phase 'stopped'. */
  stop(): Promise<string[]> {
    return this.end('stopped');
  }

  /** Failed: the partial text stays, followed by "⚠️ Interrupted: <reason>", phase 'interrupted'. */
  fail(reason: string): Promise<string[]> {
    return this.end('interrupted', reason);
  }

  private end(phase: ReplyPhase, reason = ''): Promise<string[]> {
    if (this.ending) return this.ending;
    this.phase = phase;
    this.failReason = reason;
    this.clearTimers();
    this.wake(true);
    this.ending = this.drain().then(async () => {
      await this.sink.replyEnded?.().catch((err: unknown) => {
        this.logger.warn({ err }, 'the reply sink could not finish the reply');
      });
      return [...this.messageIds];
    });
    return this.ending;
  }

  private async drain(): Promise<void> {
    while (this.running) await this.loop;
    this.settleFirstCall();
  }

  /** Asks the flush loop to run; `urgent` skips the edit interval (never a rate-limit wait). */
  private wake(urgent: boolean): void {
    this.inputSinceLastCall = true;
    if (!this.running) {
      this.loop = this.run();
      return;
    }
    if (urgent) this.wakeSleeper?.();
  }

  /** The single-flight loop: plan the next call from the newest state, wait its turn, make it. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.gaveUp) {
        // Wait first, plan after: planning splits the whole answer, so do it once per call made,
        // with the newest text, not once per wake-up as well.
        const delay = this.readyAt() - this.now();
        if (delay > 0) {
          await this.sleep(delay);
          continue;
        }
        const call = this.planNextCall();
        if (!call) {
          if (this.inputSinceLastCall) this.stats.skippedUnchanged++;
          this.inputSinceLastCall = false;
          break;
        }
        await this.perform(call);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'reply renderer stopped updating after an unexpected error');
      this.gaveUp = true;
    } finally {
      this.running = false;
      this.settleFirstCall();
    }
  }

  private readyAt(): number {
    const urgent =
      this.phase !== 'streaming' || this.shown.length === 0 || (this.hasContent && !this.contentShown);
    return urgent ? this.notBefore : Math.max(this.notBefore, this.lastCallAt + this.intervalMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private planNextCall(): PlannedCall | undefined {
    const wanted = this.wantedMessages();
    for (const [index, message] of wanted.entries()) {
      const shown = this.shown[index];
      if (!shown || shown.text !== message.text || shown.phase !== message.phase) {
        return { ...message, index, carriesContent: this.hasContent };
      }
    }
    return undefined;
  }

  private async perform(call: PlannedCall): Promise<void> {
    this.lastCallAt = this.now();
    this.inputSinceLastCall = false;
    try {
      const id = this.messageIds[call.index];
      if (id === undefined) {
        const posted = await this.sink.post(call.text, call.phase);
        this.messageIds.push(posted);
        this.stats.posts++;
      } else {
        await this.sink.edit(id, call.text, call.phase);
        this.stats.edits++;
      }
      this.shown[call.index] = { text: call.text, phase: call.phase };
      if (call.carriesContent) this.contentShown = true;
      this.failures = 0;
      this.rateLimitsInARow = 0;
    } catch (error) {
      this.onSinkError(error);
    } finally {
      this.settleFirstCall();
    }
  }

  private onSinkError(error: unknown): void {
    if (error instanceof PlatformRateLimitError && exceedsRetryAfterCap(error.retryAfterMs)) {
      this.giveUpOnLongRateLimit(error);
      return;
    }
    if (error instanceof PlatformRateLimitError && ++this.rateLimitsInARow <= MAX_CONSECUTIVE_RATE_LIMITS) {
      this.stats.rateLimits++;
      this.notBefore = this.now() + error.retryAfterMs;
      this.intervalMs = Math.min(this.intervalMs * 2, this.maxIntervalMs);
      this.logger.debug(
        { retryAfterMs: error.retryAfterMs, intervalMs: this.intervalMs },
        'reply rate-limited; waiting and widening the edit interval',
      );
      return;
    }
    this.failures++;
    if (this.failures > MAX_SINK_RETRIES) {
      this.gaveUp = true;
      this.logger.error({ err: error }, 'reply could not be updated; giving up on further edits');
      return;
    }
    this.notBefore = this.now() + RETRY_BASE_MS * 2 ** (this.failures - 1);
    this.logger.warn({ err: error, attempt: this.failures }, 'reply update failed; retrying');
  }

  /**
   * The platform asked for a wait past the cap (a day, say): waiting would hold this turn, its
   * conversation's lock and the ending for that long. Editing stops; the answer is still saved by
   * the engine, and the user hears why the reply stopped changing, if the platform lets us say it.
   */
  private giveUpOnLongRateLimit(error: PlatformRateLimitError): void {
    this.stats.rateLimits++;
    this.gaveUp = true;
    this.logger.warn(
      { retryAfterMs: error.retryAfterMs },
      'platform asked to wait longer than the Retry-After cap; giving up on editing this reply',
    );
    // Not awaited: the ending must not wait on a platform that is refusing us.
    this.sink.notice?.(describeError(error)).catch((noticeError: unknown) => {
      this.logger.warn({ err: noticeError }, 'could not tell the user the reply stopped updating');
    });
  }

  /** What every message of the reply should show right now. */
  private wantedMessages(): MessageState[] {
    const maxLength = this.sink.limits.maxMessageLength;
    if (!this.hasContent) {
      if (this.phase !== 'streaming') {
        const text = [this.markerLine() ?? EMPTY_ANSWER_TEXT, ...this.shownFooters()].join('\n');
        return [{ text, phase: this.phase }];
      }
      const status = this.statusLine(maxLength);
      return status === undefined ? [] : [{ text: status, phase: 'streaming' }];
    }
    const chunks = splitMessage(this.answer, maxLength);
    const messages: MessageState[] = chunks.map((text) => ({ text, phase: 'done' }));
    const last = messages.length - 1;
    const lastChunk = chunks[last]!;
    messages[last]!.phase = this.phase;
    if (this.phase === 'streaming') {
      messages[last]!.text = decorateStreaming(lastChunk, maxLength);
      return messages;
    }
    const ending = this.endingLine();
    if (ending === undefined) return messages;
    const closed = closeOpenMarkdown(lastChunk);
    const separator = closed.endsWith('\n\n') ? '' : closed.endsWith('\n') ? '\n' : '\n\n';
    const withEnding = `${closed}${separator}${ending}`;
    if (withEnding.length <= maxLength) {
      messages[last]!.text = withEnding;
    } else {
      messages[last]!.phase = 'done';
      messages.push({ text: ending, phase: this.phase });
    }
    return messages;
  }

  /** What the ended reply closes with: its marker line, then the footers. */
  private endingLine(): string | undefined {
    const marker = this.markerLine();
    const lines = marker === undefined ? this.shownFooters() : [marker, ...this.shownFooters()];
    return lines.length > 0 ? lines.join('\n') : undefined;
  }

  /** Footers belong to an answer the user keeps: a done or stopped one, not a failed one. */
  private shownFooters(): string[] {
    return this.phase === 'done' || this.phase === 'stopped' ? this.footers : [];
  }

  /** The marker line a cut, stopped or failed reply ends with. */
  private markerLine(): string | undefined {
    if (this.phase === 'done' && this.cut) return answerCutMarker(this.options.maxAnswerChars ?? 0);
    if (this.phase === 'stopped') return STOPPED_MARKER;
    if (this.phase === 'interrupted') return `⚠️ Interrupted: ${this.failReason}`;
    return undefined;
  }

  /** What the reply shows before any content; undefined = nothing (hidden mode, nothing posted). */
  private statusLine(maxLength: number): string | undefined {
    const mode = this.options.reasoningDisplay;
    if (this.reasoningStarted && mode === 'text') return quoteReasoning(this.reasoningText, maxLength);
    if (this.reasoningStarted && mode === 'status') {
      return this.thinkingSeconds === undefined ? '💭 Thinking…' : `💭 Thinking… ${this.thinkingSeconds}s`;
    }
    if (this.statusText !== undefined) return this.statusText.slice(0, maxLength);
    if (mode === 'hidden' && this.shown.length === 0) return undefined;
    return PLACEHOLDER_TEXT;
  }

  private sendTyping(): void {
    if (this.hasContent || this.ending || !this.sink.typing) return;
    this.sink.typing().catch((error: unknown) => {
      this.logger.debug({ err: error }, 'typing indicator failed');
    });
  }

  private settleFirstCall(): void {
    this.firstCallSettled?.();
    this.firstCallSettled = undefined;
  }

  private clearTimers(): void {
    clearInterval(this.statusTimer);
    clearInterval(this.typingTimer);
    this.statusTimer = undefined;
    this.typingTimer = undefined;
  }
}

/** `end`, or one less when cutting there would leave half a surrogate pair (half an emoji). */
function endBeforeSurrogateSplit(text: string, end: number): number {
  const last = text.charCodeAt(end - 1);
  return end > 0 && last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}

/**
 * The last message while streaming: open code fences closed for display, plus the streaming
 * indicator. A closing fence line must stay alone on its line, so the indicator then goes below it.
 */
function decorateStreaming(chunk: string, maxLength: number): string {
  const closed = closeOpenMarkdown(chunk);
  const fenceEnds = /(^|\n)[ \t]*(`{3,}|~{3,})[^\n]*$/.test(closed);
  const indicator = fenceEnds ? `\n${STREAMING_INDICATOR.trimStart()}` : STREAMING_INDICATOR;
  if (closed.length + indicator.length <= maxLength) return closed + indicator;
  return closed.length <= maxLength ? closed : chunk;
}

/** 'text' reasoning display: the tail of the reasoning as a quote block that fits one message. */
function quoteReasoning(reasoning: string, maxLength: number): string {
  const header = '💭 _Thinking…_\n';
  let keep = Math.min(reasoning.length, REASONING_TAIL_CHARS, maxLength - header.length - 4);
  for (;;) {
    let tail = reasoning.slice(reasoning.length - Math.max(keep, 0));
    const first = tail.charCodeAt(0);
    if (first >= 0xdc00 && first <= 0xdfff) tail = tail.slice(1); // never start inside a surrogate pair
    const shown = keep < reasoning.length ? `…${tail}` : tail;
    const text =
      header +
      shown
        .split('\n')
        .map((line) => `> ${line}`)
        .join('\n');
    if (text.length <= maxLength || keep <= 0) return text.slice(0, maxLength);
    keep -= text.length - maxLength;
  }
}
