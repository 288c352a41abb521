/**
 * The floor under the engine section's CPU per chunk: the same streams from the same emulator,
 * read with less and less of the bot, so the scale row can be read against what the machine
 * itself charges for one network read per chunk. Prints one JSON line of `FloorResult`.
 *
 *   node <compiled>/bench/support/read-floor-process.js <url> <token> <streams> <chunks> <delayMs> <mode>
 *
 * Modes:
 * - `socket`: a raw TCP socket per stream that sends the request and counts the bytes it gets back
 *   (no HTTP parsing): the kernel, libuv and Node's stream machinery for one read per chunk.
 * - `http`: undici's own dispatcher, our SSE decoder and one `JSON.parse` per event, nothing else:
 *   what any client must do per chunk before an engine sees it.
 */
import { connect } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { COMPLETIONS_PATH } from '../../src/upstream/client.js';
import { SseDecoder } from '../../src/upstream/sse.js';

export interface FloorResult {
  mode: string;
  events: number;
  cpuPerChunkUs: number;
}

function requestBody(chunks: number, delayMs: number): string {
  return JSON.stringify({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: `chunks:${chunks} delay:${delayMs}` }],
    stream: true,
  });
}

/** Sends the request by hand; resolves when the chunked body's last chunk (`0\r\n\r\n`) arrives. */
function readRawSocket(url: URL, token: string, body: string, onRead: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `POST ${COMPLETIONS_PATH} HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    socket.on('data', (bytes: Buffer) => {
      onRead();
      if (bytes.includes('0\r\n\r\n')) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', reject);
  });
}

/** undici's dispatcher, the SSE decoder and `JSON.parse` per event; resolves at the body's end. */
function readHttp(agent: Agent, url: URL, token: string, body: string, onEvent: () => void): Promise<void> {
  const decoder = new SseDecoder();
  return new Promise((resolve, reject) => {
    const handler: Dispatcher.DispatchHandler = {
      // undici tells the new handler API from the old one by these two.
      onRequestStart() {},
      onResponseStart() {},
      onResponseData(_controller, bytes) {
        for (const data of decoder.push(bytes)) {
          if (data !== '[DONE]') JSON.parse(data);
          onEvent();
        }
      },
      onResponseEnd: () => resolve(),
      onResponseError: (_controller, error) => reject(error),
    };
    agent.dispatch(
      {
        origin: url.origin,
        path: COMPLETIONS_PATH,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      },
      handler,
    );
  });
}

async function main(): Promise<void> {
  const [urlArg, token, streamsArg, chunksArg, delayArg, mode] = process.argv.slice(2);
  const url = new URL(urlArg!);
  const streams = Number(streamsArg);
  const chunks = Number(chunksArg);
  const body = requestBody(chunks, Number(delayArg));
  const agent = new Agent({ connections: streams + 10, pipelining: 1 });
  let events = 0;
  const count = () => {
    events += 1;
  };
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: streams }, () =>
      mode === 'socket' ? readRawSocket(url, token!, body, count) : readHttp(agent, url, token!, body, count),
    ),
  );
  const cpu = process.cpuUsage(cpuBefore);
  await agent.close();
  const result: FloorResult = {
    mode: mode!,
    events,
    cpuPerChunkUs: (cpu.user + cpu.system) / (streams * chunks),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
