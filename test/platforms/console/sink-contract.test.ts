/**
 * The shared ReplySink contract (test/support/sink-contract.ts) for the console playground's sink.
 * A terminal cannot rewrite what it printed: the answer reaches stdout from the engine's content
 * deltas (`writeDelta`), so the contract's message cases do not apply; what the sink itself must
 * show is the closing line of a stopped or interrupted reply and its notices, read from the bytes
 * written to the terminal.
 */
import { Writable } from 'node:stream';
import { ConsoleSink } from '../../../src/platforms/console/sink.js';
import { describeSinkContract } from '../../support/sink-contract.js';

/** A terminal stream that keeps every byte written to it. */
class CapturedStream extends Writable {
  written = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written += chunk.toString('utf8');
    callback();
  }
}

/** What a terminal shows of `bytes`: carriage returns and line clears applied, line by line. */
function screenLines(bytes: string): string[] {
  return bytes
    .split('\n')
    .map((line) => line.split('\r').at(-1)!.replaceAll('\x1b[2K', ''))
    .filter((line) => line.length > 0);
}

describeSinkContract({
  name: 'console (ConsoleSink)',
  async create() {
    const stdout = new CapturedStream(false);
    const status = new CapturedStream(true);
    return {
      sink: new ConsoleSink(stdout, status),
      shownLastLine: () => screenLines(stdout.written).at(-1) ?? '',
      shownNotices: () => screenLines(status.written).flatMap((line) => /^\[(.*)\]$/.exec(line)?.[1] ?? []),
    };
  },
});
