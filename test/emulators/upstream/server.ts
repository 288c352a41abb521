/**
 * A loopback stand-in for AceData's `POST /gemini/chat/completions` (plain node:http). It speaks the
 * exact SSE format of the API (../../../docs/upstream-api.md), checks the Bearer
 * token, records every request, and plays scripted faults: HTTP errors, cut or hung streams, error
 * objects mid-stream, missing `[DONE]`, UTF-8 split across writes, keep-alive comments.
 *
 * Tests of every part use it through the real upstream client over real HTTP:
 *   const upstream = await startUpstreamEmulator();
 *   upstream.enqueue({ content: ['Hello', ' world'] });
 *   ... ACEDATA_BASE_URL = upstream.url, ACEDATA_API_TOKEN = upstream.token ...
 *   await upstream.close();
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultResponder } from './default-responder.js';
import {
  completionBody,
  deltaChunk,
  errorBody,
  estimateTokens,
  newChunkIdentity,
  textOfContent,
  usageChunk,
  type WireUsage,
} from './payloads.js';
import type { RecordedRequest, UpstreamScript } from './script.js';

export { defaultResponder, echoOf, LONG_ANSWER } from './default-responder.js';
export type { RecordedRequest, UpstreamScript } from './script.js';

/** A running emulator. */
export interface UpstreamEmulator {
  /** Base URL to use as ACEDATA_BASE_URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** The Bearer token it accepts (others get 401 invalid_token). */
  token: string;
  /** Every request received, in order (401s and 404s included). */
  requests: RecordedRequest[];
  /** Answers the next requests, first in first out. */
  enqueue(...scripts: UpstreamScript[]): void;
  /** Used when the queue is empty (instead of the default echo responder). */
  setResponder(fn: (req: RecordedRequest) => UpstreamScript): void;
  /** Requests being answered right now (from the accepted request until its socket or body closes). */
  activeStreams: number;
  /** High-water mark of `activeStreams`. */
  maxConcurrentStreams: number;
  /** Called when the first content byte of a response is written (for latency benchmarks). */
  onFirstContent?: (req: RecordedRequest, at: bigint) => void;
  /** Clears requests, queue, responder and counters. */
  reset(): void;
  /** Stops listening; also destroys open and hanging sockets. */
  close(): Promise<void>;
}

const COMPLETIONS_PATH = '/gemini/chat/completions';
const CUT_GRACE_MS = 50;

/** Starts an emulator on `host` (default 127.0.0.1) and `port` (default 0: any free port). */
export async function startUpstreamEmulator(
  options: { token?: string; port?: number; host?: string } = {},
): Promise<UpstreamEmulator> {
  const token = options.token ?? 'test-token';
  const host = options.host ?? '127.0.0.1';
  const queue: UpstreamScript[] = [];
  const sockets = new Set<Socket>();
  let responder: ((req: RecordedRequest) => UpstreamScript) | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
  });

  const emulator: UpstreamEmulator = {
    url: '',
    token,
    requests: [],
    activeStreams: 0,
    maxConcurrentStreams: 0,
    enqueue: (...scripts) => void queue.push(...scripts),
    setResponder: (fn) => {
      responder = fn;
    },
    reset() {
      // Mutate in place: tests may hold a reference to the array.
      emulator.requests.length = 0;
      queue.length = 0;
      responder = undefined;
      emulator.maxConcurrentStreams = emulator.activeStreams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const traceId = randomUUID();
    const raw = await readBody(req);
    const recorded: RecordedRequest = {
      headers: req.headers,
      body: parseJson(raw),
      receivedAt: Date.now(),
      traceId,
      remotePort: req.socket.remotePort,
    };
    emulator.requests.push(recorded);

    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendError(
        res,
        401,
        'invalid_token',
        'Invalid token: send "authorization: Bearer <token>".',
        traceId,
      );
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== COMPLETIONS_PATH) {
      return sendError(res, 404, 'no_api', `No API at ${req.method} ${path}.`, traceId);
    }
    if (
      typeof recorded.body !== 'object' ||
      recorded.body === null ||
      !Array.isArray(recorded.body.messages)
    ) {
      return sendError(res, 400, 'api_not_implemented', 'Missing or invalid parameter: messages.', traceId);
    }

    const script = queue.shift() ?? responder?.(recorded) ?? defaultResponder(recorded);
    emulator.activeStreams++;
    emulator.maxConcurrentStreams = Math.max(emulator.maxConcurrentStreams, emulator.activeStreams);
    res.once('close', () => {
      emulator.activeStreams--;
    });
    await play(script, recorded, req, res, traceId);
  }

  async function play(
    script: UpstreamScript,
    recorded: RecordedRequest,
    req: IncomingMessage,
    res: ServerResponse,
    traceId: string,
  ): Promise<void> {
    if (script.firstByteDelayMs) await pause(script.firstByteDelayMs, res);
    if (res.destroyed) return;

    const fault = script.fault;
    if (fault?.kind === 'http') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      return sendError(
        res,
        fault.status,
        fault.code,
        fault.message ?? `emulated ${fault.status} ${fault.code}`,
        fault.traceId ?? traceId,
        headers,
      );
    }
    if (fault?.kind === 'huge_body') return playHugeBody(fault, recorded, res, traceId);
    if (fault?.kind === 'non_json_error') {
      res.writeHead(fault.status, { 'content-type': 'text/html', 'x-trace-id': traceId });
      res.end(fault.body);
      return;
    }

    const model = typeof recorded.body.model === 'string' ? recorded.body.model : 'gemini-2.5-pro';
    const identity = newChunkIdentity(model);
    const reasoning = script.reasoning ?? [];
    const content = script.content ?? [];
    const finishReason = script.finishReason === undefined ? 'stop' : script.finishReason;
    const usage = script.usage ?? estimateUsage(recorded, reasoning.join(''), content.join(''));

    if (recorded.body.stream !== true || script.ignoreStream) {
      if (fault?.kind === 'cut') return void req.socket.destroy();
      if (fault?.kind === 'hang') return void res.writeHead(200, { 'x-trace-id': traceId }).flushHeaders();
      const body =
        fault?.kind === 'stream_error'
          ? errorBody(fault.code, fault.message, traceId)
          : completionBody(identity, content.join(''), reasoning.join(''), finishReason, usage);
      res.writeHead(200, { 'content-type': 'application/json', 'x-trace-id': traceId });
      res.end(JSON.stringify(body));
      emulator.onFirstContent?.(recorded, process.hrtime.bigint());
      return;
    }

    // The seed's order: role chunk, reasoning, content, finish, usage (empty choices), [DONE].
    const events: Array<{ data: string; isContent: boolean }> = [
      { data: JSON.stringify(deltaChunk(identity, { content: '', role: 'assistant' })), isContent: false },
      ...reasoning.map((text) => ({
        data: JSON.stringify(deltaChunk(identity, { reasoning_content: text })),
        isContent: false,
      })),
      ...content.map((text) => ({
        data: JSON.stringify(deltaChunk(identity, { content: text })),
        isContent: text.length > 0,
      })),
    ];
    if (finishReason !== null) {
      events.push({ data: JSON.stringify(deltaChunk(identity, {}, finishReason)), isContent: false });
    }
    events.push({ data: JSON.stringify(usageChunk(identity, usage)), isContent: false });
    events.push({ data: '[DONE]', isContent: false });

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-trace-id': traceId,
    });
    res.flushHeaders();

    let contentSeen = false;
    for (let index = 0; index <= events.length; index++) {
      if (fault && 'afterChunks' in fault && index === Math.min(fault.afterChunks, events.length)) {
        if (fault.kind === 'cut') {
          // A real connection dies some time after its last chunk: give the client time to read
          // what was sent, so tests see the partial answer before the error.
          await pause(CUT_GRACE_MS, res);
          return void req.socket.destroy();
        }
        if (fault.kind === 'hang') return; // the socket stays open until the client or close() ends it
        const error = JSON.stringify(errorBody(fault.code, fault.message, traceId));
        await write(res, `data: ${error}\n\n`, script.splitUtf8 === true);
        res.end();
        return;
      }
      const event = events[index];
      if (event === undefined) break;
      if (event.data === '[DONE]' && fault?.kind === 'no_done') break;
      if (index > 0 && script.chunkDelayMs) await pause(script.chunkDelayMs, res);
      if (res.destroyed) return;
      if (script.keepAliveComments) await write(res, ': keep-alive\n\n', false);
      await write(res, `data: ${event.data}\n\n`, script.splitUtf8 === true);
      if (event.isContent && !contentSeen) {
        contentSeen = true;
        emulator.onFirstContent?.(recorded, process.hrtime.bigint());
      }
    }
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  emulator.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return emulator;
}

/** A JSON body that never ends in time: `{"content":"xxxx…` of `bytes` bytes, written under back-pressure. */
async function playHugeBody(
  fault: { status: number; bytes: number },
  recorded: RecordedRequest,
  res: ServerResponse,
  traceId: string,
): Promise<void> {
  res.writeHead(fault.status, { 'content-type': 'application/json', 'x-trace-id': traceId });
  const piece = Buffer.alloc(64 * 1024, 'x');
  Buffer.from('{"content":"').copy(piece);
  recorded.bodyBytesSent = 0;
  recorded.bodyFinished = false;
  while (recorded.bodyBytesSent < fault.bytes && !res.destroyed) {
    const chunk = piece.subarray(0, Math.min(piece.length, fault.bytes - recorded.bodyBytesSent));
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) break;
    recorded.bodyBytesSent += chunk.length;
    piece.fill('x', 0, 12);
  }
  if (res.destroyed) return;
  recorded.bodyFinished = true;
  res.end();
}

/** Prompt tokens from every message's text, completion tokens from what was streamed. */
function estimateUsage(recorded: RecordedRequest, reasoning: string, content: string): WireUsage {
  const messages: Array<{ content?: unknown }> = recorded.body.messages;
  const promptText = messages.map((message) => textOfContent(message?.content)).join('\n');
  const reasoningTokens = estimateTokens(reasoning);
  const promptTokens = estimateTokens(promptText);
  const completionTokens = estimateTokens(content) + reasoningTokens;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    reasoning_tokens: reasoningTokens,
  };
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  traceId: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-trace-id': traceId, ...headers });
  res.end(JSON.stringify(errorBody(code, message, traceId)));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Waits `ms`, or less if the response closes first (a client that gave up, or close()). */
function pause(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

/**
 * Writes `text`; with `split`, in 5-byte pieces on separate event-loop turns, so a reader sees
 * multi-byte characters (3 bytes in CJK) cut across reads. Waits for 'drain' under back-pressure.
 */
async function write(res: ServerResponse, text: string, split: boolean): Promise<void> {
  if (res.destroyed) return;
  if (!split) {
    if (!res.write(text)) await drained(res);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length && !res.destroyed; offset += 5) {
    res.write(bytes.subarray(offset, offset + 5));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
