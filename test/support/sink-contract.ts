/**
 * The contract every platform's `ReplySink` keeps for the engine's renderer (src/engine/renderer.ts,
 * src/engine/types.ts), as one suite each platform runs against its real sink on its emulator:
 *
 * - `limits` are usable numbers;
 * - `post` returns an id that `edit` accepts, one message per post;
 * - an edit replaces the message's text exactly: what the platform shows afterwards is the last
 *   text sent, with the phase where the platform shows one (Stop while streaming, buttons after);
 * - text of exactly `limits.maxMessageLength` characters is accepted, posted and edited in;
 * - a platform 429 surfaces as `PlatformRateLimitError` carrying the platform's Retry-After, and
 *   the refused call changed nothing;
 * - the optional members (`notice`, `typing`, `replyEnded`) do what the types say, when present.
 *
 * What a person sees is read back from the platform (the emulator's state, the terminal's bytes),
 * never from the sink. A new platform adds one `sink-contract.test.ts` that builds a `SinkHarness`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplyPhase, ReplySink } from '../../src/engine/types.js';
import { PlatformRateLimitError } from '../../src/errors.js';

/** How the platform shows a message's phase: buttons (or Slack's live stream) for `streaming` and after. */
export type ShownPhase = 'streaming' | 'ended' | 'none';

/** One message as the platform shows it to a person. */
export interface ShownMessage {
  text: string;
  /** Left out where the platform shows no phase (private answers, the terminal). */
  phase?: ShownPhase;
}

/** One sink on a running platform, with ways to read what that platform shows. */
export interface SinkHarness {
  sink: ReplySink;
  /**
   * The messages of this reply as the platform shows them, in the order they were posted. Absent
   * when the platform does not show the sink's text as messages (the console prints the answer
   * from the engine's content deltas; its sink only draws a status line and the closing marker).
   */
  shownMessages?(): ShownMessage[] | Promise<ShownMessage[]>;
  /** What the platform shows as the reply's last line, for platforms without `shownMessages`. */
  shownLastLine?(): string;
  /** The notices that reached the person who asked, oldest first. Required when the sink has `notice`. */
  shownNotices?(): string[] | Promise<string[]>;
  /** How many typing indicators the platform received. Required when the sink has `typing`. */
  typingShown?(): number;
  /**
   * Spends the platform's rate limit for this reply's next calls, as other traffic would, and
   * resolves to the Retry-After (ms) the platform announces. Absent where the platform has no 429.
   */
  spendRateLimit?(): Promise<number>;
  close?(): Promise<void>;
}

export interface SinkContractSubject {
  /** Names the describe block: "ReplySink contract: <name>". */
  name: string;
  /** A fresh sink for one case, writing where nothing else writes (its own channel or thread). */
  create(): Promise<SinkHarness>;
  /**
   * False for sinks that show nothing while a message streams and send each message once it has
   * ended (a private answer whose messages cannot be edited). Default true.
   */
  showsWhileStreaming?: boolean;
}

/** Paragraphs of plain words, exactly `length` characters: nothing a platform formats, guards or trims. */
export function plainText(length: number, seed = 'word'): string {
  const words: string[] = [];
  let size = 0;
  for (let n = 0; size < length; n++) {
    const word = n % 40 === 39 ? `${seed}${n}.\n\n` : `${seed}${n} `;
    words.push(word);
    size += word.length;
  }
  const text = words.join('').slice(0, length - 1);
  // Ends on a visible character: platforms trim trailing whitespace of a message.
  return `${text.trimEnd()}${'x'.repeat(length - text.trimEnd().length)}`;
}

const ENDED_PHASES: ReplyPhase[] = ['done', 'stopped', 'interrupted'];

/** The lines the renderer closes an ended reply with (src/engine/renderer.ts). */
const ENDING_LINE: Record<ReplyPhase, string | undefined> = {
  streaming: undefined,
  done: undefined,
  stopped: '_Stopped._',
  interrupted: '⚠️ Interrupted: the model stopped answering',
};

/** Registers the contract's cases for one sink. */
export function describeSinkContract(subject: SinkContractSubject): void {
  const showsWhileStreaming = subject.showsWhileStreaming ?? true;
  let open: SinkHarness[] = [];

  async function create(): Promise<SinkHarness> {
    const harness = await subject.create();
    open.push(harness);
    return harness;
  }

  afterEach(async () => {
    const closing = open;
    open = [];
    for (const harness of closing) await harness.close?.();
  });

  /** Ends the reply the way the renderer does, so sinks that hold the last part back send it. */
  async function endReply(harness: SinkHarness): Promise<void> {
    await harness.sink.replyEnded?.();
  }

  async function shown(harness: SinkHarness): Promise<ShownMessage[]> {
    return (await harness.shownMessages?.()) ?? [];
  }

  describe(`ReplySink contract: ${subject.name}`, () => {
    it('declares limits the renderer can work with', async () => {
      const { sink } = await create();
      expect(Number.isInteger(sink.limits.maxMessageLength)).toBe(true);
      // Below a few hundred characters a reply would split at every paragraph.
      expect(sink.limits.maxMessageLength).toBeGreaterThanOrEqual(1_000);
      expect(sink.limits.editIntervalMs).toBeGreaterThan(0);
    });

    it('returns from post an id that edit accepts, for the message it posted', async () => {
      const harness = await create();
      const id = await harness.sink.post('First words', 'streaming');
      expect(typeof id).toBe('string');
      expect(id.length).toBeGreaterThan(0);
      await harness.sink.edit(id, 'First words, then more.', 'done');
      await endReply(harness);
      if (!harness.shownMessages) return;
      expect((await shown(harness)).map((m) => m.text)).toEqual(['First words, then more.']);
    });

    it('posts each message as its own, and an edit changes only the message it names', async () => {
      const harness = await create();
      const first = await harness.sink.post('Part one, streaming', 'streaming');
      await harness.sink.edit(first, 'Part one, finished.', 'done');
      const second = await harness.sink.post('Part two, streaming', 'streaming');
      expect(second).not.toBe(first);
      await harness.sink.edit(second, 'Part two, finished.', 'done');
      await endReply(harness);
      if (!harness.shownMessages) return;
      const messages = await shown(harness);
      expect(messages.map((m) => m.text)).toEqual(['Part one, finished.', 'Part two, finished.']);
    });

    it.skipIf(!showsWhileStreaming)(
      'shows each edit while streaming: the text replaced exactly, shorter or not, and Stop',
      async () => {
        const harness = await create();
        const id = await harness.sink.post('Alpha', 'streaming');
        const expectShown = async (text: string, phase: ShownPhase) => {
          const messages = await shown(harness);
          expect(messages.map((m) => m.text)).toEqual([text]);
          if (messages[0]!.phase !== undefined) expect(messages[0]!.phase).toBe(phase);
        };
        if (!harness.shownMessages) return;
        await expectShown('Alpha', 'streaming');
        await harness.sink.edit(id, 'Alpha beta gamma', 'streaming');
        await expectShown('Alpha beta gamma', 'streaming');
        // The renderer's newest text need not extend the last: a split moves text, a fence closes.
        await harness.sink.edit(id, 'Alpha delta', 'streaming');
        await expectShown('Alpha delta', 'streaming');
        await harness.sink.edit(id, 'Alpha delta, and the end.', 'done');
        await endReply(harness);
        await expectShown('Alpha delta, and the end.', 'ended');
      },
    );

    it.each(ENDED_PHASES)(
      'shows a reply that ends %s with its last text and an ended phase',
      async (phase) => {
        const harness = await create();
        const ending = ENDING_LINE[phase];
        const last = ending ? `A partial answer\n\n${ending}` : 'A whole answer.';
        const id = await harness.sink.post('A partial answer', 'streaming');
        await harness.sink.edit(id, last, phase);
        await endReply(harness);
        if (harness.shownMessages) {
          const messages = await shown(harness);
          expect(messages.map((m) => m.text)).toEqual([last]);
          if (messages[0]!.phase !== undefined) expect(messages[0]!.phase).toBe('ended');
        } else if (ending) {
          // A terminal cannot rewrite what it printed: the closing line is what it shows of the phase.
          expect(harness.shownLastLine?.()).toBe(ending);
        }
      },
    );

    it('shows a reply posted already ended (nothing streamed first) with its text', async () => {
      const harness = await create();
      const text = `Nothing came back.\n\n${ENDING_LINE.interrupted}`;
      await harness.sink.post(text, 'interrupted');
      await endReply(harness);
      if (harness.shownMessages) {
        const messages = await shown(harness);
        expect(messages.map((m) => m.text)).toEqual([text]);
        if (messages[0]!.phase !== undefined) expect(messages[0]!.phase).toBe('ended');
      } else {
        expect(harness.shownLastLine?.()).toBe(ENDING_LINE.interrupted);
      }
    });

    it('accepts text of exactly limits.maxMessageLength, posted and edited in, and shows all of it', async () => {
      const harness = await create();
      const max = harness.sink.limits.maxMessageLength;
      const posted = plainText(max, 'posted');
      const edited = plainText(max, 'edited');
      expect(posted).toHaveLength(max);
      const id = await harness.sink.post(posted, 'streaming');
      if (showsWhileStreaming && harness.shownMessages) {
        expect((await shown(harness)).map((m) => m.text)).toEqual([posted]);
      }
      await harness.sink.edit(id, edited, 'done');
      await endReply(harness);
      if (!harness.shownMessages) return;
      expect((await shown(harness)).map((m) => m.text)).toEqual([edited]);
    });

    it('turns a platform 429 into PlatformRateLimitError with its Retry-After, and shows nothing of the refused call', async (context) => {
      const harness = await create();
      if (!harness.spendRateLimit) {
        context.skip();
        return;
      }
      const id = await harness.sink.post('Before the limit', 'streaming');
      const announcedMs = await harness.spendRateLimit();
      const refusedEdit = await harness.sink
        .edit(id, 'Before the limit, and after', 'streaming')
        .catch((e) => e);
      expect(refusedEdit).toBeInstanceOf(PlatformRateLimitError);
      const retryAfterMs = (refusedEdit as PlatformRateLimitError).retryAfterMs;
      // The platform's number, not a guess: the window only shrinks while the call travels.
      expect(retryAfterMs).toBeGreaterThanOrEqual(announcedMs / 2);
      expect(retryAfterMs).toBeLessThanOrEqual(announcedMs + 1_000);

      const refusedPost = await harness.sink.post('A second part', 'streaming').catch((e) => e);
      expect(refusedPost).toBeInstanceOf(PlatformRateLimitError);
      expect((refusedPost as PlatformRateLimitError).retryAfterMs).toBeGreaterThan(0);
      if (harness.shownMessages) {
        expect((await shown(harness)).map((m) => m.text)).toEqual(['Before the limit']);
      }
    });

    it('tells the person a notice outside the reply, when the sink has notice', async (context) => {
      const harness = await create();
      if (!harness.sink.notice) {
        context.skip();
        return;
      }
      const id = await harness.sink.post('The reply', 'streaming');
      await harness.sink.notice('Skipped notes.pdf: too large.');
      expect(harness.shownNotices, 'a sink with notice needs shownNotices in its harness').toBeDefined();
      expect(await harness.shownNotices!()).toContain('Skipped notes.pdf: too large.');
      await harness.sink.edit(id, 'The reply, whole.', 'done');
      await endReply(harness);
      // The notice is no part of the reply's text (platforms may show it as a message of its own).
      if (harness.shownMessages) {
        const texts = (await shown(harness)).map((m) => m.text);
        expect(texts.filter((text) => text.startsWith('The reply'))).toEqual(['The reply, whole.']);
      }
    });

    it('shows the typing indicator when the sink has typing', async (context) => {
      const harness = await create();
      if (!harness.sink.typing) {
        context.skip();
        return;
      }
      await harness.sink.typing();
      expect(harness.typingShown, 'a sink with typing needs typingShown in its harness').toBeDefined();
      expect(harness.typingShown!()).toBeGreaterThanOrEqual(1);
      // Typing is no message.
      if (harness.shownMessages) expect(await shown(harness)).toEqual([]);
    });

    it('shows every part of a three-part reply in order once it ended, and replyEnded twice sends nothing twice', async () => {
      const harness = await create();
      const parts = ['The first part.', 'The second part.', 'The third part.'];
      for (const [index, part] of parts.entries()) {
        const id = await harness.sink.post(part.replace('.', ''), 'streaming');
        await harness.sink.edit(id, part, 'done');
        if (index === parts.length - 1) await endReply(harness);
      }
      await endReply(harness);
      if (!harness.shownMessages) return;
      const messages = await shown(harness);
      expect(messages.map((m) => m.text)).toEqual(parts);
    });

    // The renderer sends a finished earlier part as `done`, like the last one: only the sink can
    // take Stop/Regenerate (and the rating buttons) off a part once a later part is posted.
    it('shows the phase on the reply’s last message only: an earlier part loses its buttons', async () => {
      const harness = await create();
      const first = await harness.sink.post('The first part', 'streaming');
      await harness.sink.edit(first, 'The first part.', 'done');
      const second = await harness.sink.post('The second part', 'streaming');
      await harness.sink.edit(second, 'The second part.', 'done');
      await endReply(harness);
      const messages = await shown(harness);
      if (messages[0]?.phase === undefined) return;
      expect(messages.map((m) => m.phase)).toEqual(['none', 'ended']);
    });
  });
}
