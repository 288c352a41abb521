/**
 * The upstream emulator in its own process, so a benchmark measures the bot's CPU and event loop
 * and not the emulator's. Prompts of the form `chunks:N delay:MS` get N content chunks MS apart.
 * Prints `READY <url> <token>` on stdout once listening.
 */
import { startUpstreamEmulator } from '../../test/emulators/upstream/server.js';

const emulator = await startUpstreamEmulator({ token: 'bench-token' });
emulator.setResponder((request) => {
  const last = request.body.messages.at(-1)?.content ?? '';
  const text = typeof last === 'string' ? last : '';
  const chunks = Number(/chunks:(\d+)/.exec(text)?.[1] ?? 20);
  const delay = Number(/delay:(\d+)/.exec(text)?.[1] ?? 0);
  return {
    reasoning: ['thinking '],
    content: Array.from({ length: chunks }, (_, index) => (index % 40 === 39 ? 'word.\n\n' : 'word ')),
    chunkDelayMs: delay,
  };
});
process.stdout.write(`READY ${emulator.url} ${emulator.token}\n`);
process.on('SIGTERM', () => {
  emulator.close().finally(() => process.exit(0));
});
