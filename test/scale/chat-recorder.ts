/**
 * The chat the loopback bots write into (test/scale/loopback-bot.ts): a loopback HTTP server that
 * records every post, edit and notice, and keeps each reply's messages as a user would read them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCall } from './loopback-bot.js';

export interface RecordedReply {
  eventId: string;
  /** Every bot process that wrote to this reply (more than one would be a double answer). */
  bots: Set<string>;
  /** Message id → newest text and phase. */
  messages: Map<string, { text: string; phase: ChatCall['phase'] }>;
  notices: string[];
}

export interface ChatRecorder {
  url: string;
  calls: ChatCall[];
  replies: Map<string, RecordedReply>;
  /** The reply's messages joined, in order. */
  textOf(eventId: string): string;
  /** The phase of the reply's last message ('notice' when only a notice was written). */
  phaseOf(eventId: string): ChatCall['phase'] | undefined;
  close(): Promise<void>;
}

export async function startChatRecorder(): Promise<ChatRecorder> {
  const calls: ChatCall[] = [];
  const replies = new Map<string, RecordedReply>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatCall;
      calls.push(call);
      let reply = replies.get(call.eventId);
      if (!reply) {
        reply = { eventId: call.eventId, bots: new Set(), messages: new Map(), notices: [] };
        replies.set(call.eventId, reply);
      }
      reply.bots.add(call.bot);
      if (call.kind === 'notice') reply.notices.push(call.text);
      else reply.messages.set(call.messageId, { text: call.text, phase: call.phase });
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/chat`,
    calls,
    replies,
    textOf: (eventId) =>
      [...(replies.get(eventId)?.messages.values() ?? [])].map((message) => message.text).join('\n'),
    phaseOf: (eventId) => {
      const reply = replies.get(eventId);
      if (!reply) return undefined;
      return [...reply.messages.values()].at(-1)?.phase ?? (reply.notices.length > 0 ? 'notice' : undefined);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls `condition` every 20 ms until it holds; throws `what` after `timeoutMs` (a safety net, not a speed check). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
