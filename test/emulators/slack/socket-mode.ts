/**
 * Slack's Socket Mode side: `apps.connections.open` (answered by the server with this hub's URL)
 * hands out a WebSocket on which Slack says `hello`, then pushes envelopes (`events_api`,
 * `slash_commands`, `interactive`) that the app must ack by echoing their `envelope_id`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface SocketAck {
  /** From sending the envelope to receiving its ack. */
  elapsedMs: number;
  // biome-ignore lint/suspicious/noExplicitAny: whatever the app put in its ack payload.
  payload: any;
}

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, (ack: SocketAck) => void>();
  private url = '';

  /** Serves WebSockets at /socket-mode on the emulator's HTTP server. */
  attach(server: Server, baseUrl: string): void {
    this.url = `${baseUrl.replace(/^http/, 'ws')}/socket-mode`;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!(req.url ?? '').startsWith('/socket-mode')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  /** The URL apps.connections.open hands out. */
  connectionUrl(): string {
    return `${this.url}?ticket=${randomUUID()}`;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Pushes one envelope to a connected app and resolves with its ack. */
  send(type: EnvelopeType, payload: Record<string, unknown>, retryAttempt = 0): Promise<SocketAck> {
    const socket = [...this.sockets][0];
    if (!socket) return Promise.reject(new Error('socket mode: no app connected'));
    const envelopeId = randomUUID();
    const started = performance.now();
    return new Promise((resolve) => {
      this.pending.set(envelopeId, (ack) => resolve({ ...ack, elapsedMs: performance.now() - started }));
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          retry_attempt: retryAttempt,
          retry_reason: retryAttempt > 0 ? 'timeout' : '',
        }),
      );
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      const resolve = message.envelope_id ? this.pending.get(message.envelope_id) : undefined;
      if (!resolve || !message.envelope_id) return;
      this.pending.delete(message.envelope_id);
      resolve({ elapsedMs: 0, payload: message.payload });
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'emulated', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0EMULATED' },
      }),
    );
  }
}
