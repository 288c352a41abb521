/**
 * `npm run emulator`: the loopback AceData API for local play. Point the bot at it with
 * ACEDATA_BASE_URL and ACEDATA_API_TOKEN; put magic words such as `[fault:429]`, `[fault:cut]`,
 * `[slow]` or `[long]` in a prompt to see how the bot copes (see default-responder.ts).
 */
import { startUpstreamEmulator } from './server.js';

const port = Number(process.env.PORT ?? 8787);
const token = process.env.EMULATOR_TOKEN ?? 'test-token';
const emulator = await startUpstreamEmulator({ port, token, host: process.env.HOST ?? '127.0.0.1' });

// The token printed here is a local test token, never a real credential.
console.log(`Upstream emulator listening on ${emulator.url}`);
console.log(`  ACEDATA_BASE_URL=${emulator.url}`);
console.log(`  ACEDATA_API_TOKEN=${emulator.token}`);
console.log(
  'Magic words in a prompt: [fault:429] [fault:500] [fault:NNN] [fault:cut] [fault:hang] [fault:stream_error] [fault:no_done] [fault:html] [slow] [long]',
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
