/**
 * The console's reply sink. A terminal cannot edit what it already printed once it scrolled, so the
 * answer itself is streamed to stdout as raw deltas (`writeDelta`, fed by the engine's onContent),
 * while the renderer's post/edit calls only drive a status line on stderr (when it is a terminal)
 * and the closing marker of a stopped or interrupted reply.
 */
import type { Writable } from 'node:stream';
import type { ReplyPhase, ReplySink, SinkLimits } from '../../engine/types.js';

export class ConsoleSink implements ReplySink {
  readonly limits: SinkLimits = { maxMessageLength: 1_000_000, editIntervalMs: 250 };
  private nextId = 0;
  private wroteContent = false;
  private endsWithNewline = true;
  private statusShown = false;

  constructor(
    private readonly out: Writable,
    private readonly status: (Writable & { isTTY?: boolean }) | undefined,
  ) {}

  /** Appends a piece of the answer to stdout as it arrives. */
  writeDelta(delta: string): void {
    if (!delta) return;
    this.clearStatus();
    this.out.write(delta);
    this.wroteContent = true;
    this.endsWithNewline = delta.endsWith('\n');
  }

  async post(text: string, phase: ReplyPhase): Promise<string> {
    this.show(text, phase);
    this.nextId += 1;
    return `console-${this.nextId}`;
  }

  async edit(_messageId: string, text: string, phase: ReplyPhase): Promise<void> {
    this.show(text, phase);
  }

  async notice(text: string): Promise<void> {
    this.clearStatus();
    (this.status ?? this.out).write(`[${text}]\n`);
  }

  /** Ends the reply on its own line, so the next prompt starts clean. */
  finishLine(): void {
    this.clearStatus();
    if (this.wroteContent && !this.endsWithNewline) this.out.write('\n');
  }

  private show(text: string, phase: ReplyPhase): void {
    if (phase === 'stopped' || phase === 'interrupted') {
      this.finishLine();
      // The renderer appends its marker as the last line: only that line is new to the reader.
      const marker = text.trimEnd().split('\n').at(-1) ?? '';
      this.out.write(`${marker}\n`);
      this.wroteContent = false;
      return;
    }
    if (phase === 'streaming' && !this.wroteContent && this.status?.isTTY) {
      // Before the first content: a live status ("Thinking… 4s") on one self-overwriting line.
      const line = text.split('\n')[0]?.slice(0, 100) ?? '';
      this.status.write(`\r\x1b[2K${line}`);
      this.statusShown = true;
    }
  }

  private clearStatus(): void {
    if (this.statusShown && this.status) {
      this.status.write('\r\x1b[2K');
      this.statusShown = false;
    }
  }
}
