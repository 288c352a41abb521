/**
 * The gateway WebSocket (JSON encoding, no compression): HELLO, IDENTIFY → READY (with a loopback
 * `resume_gateway_url`, the application and the guild as unavailable) → GUILD_CREATE, heartbeats
 * with ACKs, RESUME with replay of missed dispatches, and `dispatch()` for tests. discord.js waits
 * up to 15 s for a GUILD_CREATE per guild named in READY, so it is sent right after READY.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { JsonBody } from './limits.js';
import { type EmulatorState, toWireChannel, toWireUser } from './state.js';

const HEARTBEAT_INTERVAL_MS = 41_250;

interface Session {
  id: string;
  socket: WebSocket | undefined;
  seq: number;
  intents: number;
  /** `[shard_id, num_shards]` from IDENTIFY; guild events go to the shard that owns the guild. */
  shard: [number, number];
  /** Everything dispatched in this session, for RESUME replay. */
  sent: Array<{ s: number; t: string; d: unknown }>;
}

/** Gateway opcodes used here. */
const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

export class GatewayServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private current: Session | undefined;
  /** IDENTIFY payloads received, newest last (tests check intents). */
  readonly identifies: Array<{ token: string; intents: number }> = [];
  /** Close code to answer the next IDENTIFY with (4014 = disallowed intents), once. */
  rejectNextIdentifyWith: number | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(
    private readonly state: EmulatorState,
    private readonly token: string,
    private readonly gatewayUrl: () => string,
  ) {}

  /** Hands an HTTP upgrade on `/gateway` to the WebSocket server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  /** True once a session is identified and has its socket open. */
  get connected(): boolean {
    return this.current?.socket?.readyState === 1;
  }

  /** Resolves when a session is (or becomes) ready. */
  waitUntilReady(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Sends a dispatch event to every session that should see it, as Discord does: each session whose
   * shard owns the event's guild (`(guild_id >> 22) % num_shards`; DMs belong to shard 0), so two
   * unsharded instances of one bot both receive every event. A disconnected session keeps what it
   * missed for RESUME only while it is the newest one.
   */
  dispatch(t: string, d: unknown): void {
    const guildId = (d as { guild_id?: string } | null)?.guild_id;
    for (const session of this.sessions.values()) {
      const live = session.socket?.readyState === 1 || session === this.current;
      if (live && this.owns(session, guildId)) this.sendTo(session, t, d);
    }
  }

  private owns(session: Session, guildId: string | undefined): boolean {
    const [shardId, shardCount] = session.shard;
    if (guildId === undefined) return shardId === 0;
    return Number((BigInt(guildId) >> 22n) % BigInt(shardCount)) === shardId;
  }

  private sendTo(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const frame = { op: Op.Dispatch, t, s: session.seq, d };
    session.sent.push({ s: session.seq, t, d });
    if (session.socket?.readyState === 1) session.socket.send(JSON.stringify(frame));
  }

  /** Closes the bot's socket with a gateway close code (4014 = disallowed intents). */
  closeWith(code: number, reason = ''): void {
    this.current?.socket?.close(code, reason);
  }

  /** Drops the socket without a close frame (network loss); the bot should resume. */
  dropConnection(): void {
    this.current?.socket?.terminate();
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket): void {
    ws.send(JSON.stringify({ op: Op.Hello, d: { heartbeat_interval: HEARTBEAT_INTERVAL_MS } }));
    ws.on('message', (raw) => {
      let frame: { op: number; d: JsonBody };
      try {
        frame = JSON.parse(raw.toString());
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      this.onFrame(ws, frame);
    });
    ws.on('close', () => {
      for (const session of this.sessions.values()) if (session.socket === ws) session.socket = undefined;
    });
  }

  private onFrame(ws: WebSocket, frame: { op: number; d: JsonBody }): void {
    switch (frame.op) {
      case Op.Heartbeat:
        ws.send(JSON.stringify({ op: Op.HeartbeatAck }));
        return;
      case Op.Identify:
        this.onIdentify(ws, frame.d);
        return;
      case Op.Resume:
        this.onResume(ws, frame.d);
        return;
      default:
        // Presence and voice updates are accepted and ignored.
        return;
    }
  }

  private onIdentify(ws: WebSocket, d: { token: string; intents: number; shard?: [number, number] }): void {
    this.identifies.push({ token: d.token, intents: d.intents });
    if (d.token !== this.token) {
      ws.close(4004, 'Authentication failed.');
      return;
    }
    if (this.rejectNextIdentifyWith !== undefined) {
      const code = this.rejectNextIdentifyWith;
      this.rejectNextIdentifyWith = undefined;
      ws.close(code, code === 4014 ? 'Disallowed intent(s).' : 'Rejected.');
      return;
    }
    const shard = d.shard ?? [0, 1];
    const session: Session = {
      id: this.state.nextId(),
      socket: ws,
      seq: 0,
      intents: d.intents,
      shard,
      sent: [],
    };
    this.sessions.set(session.id, session);
    this.current = session;
    const ownsGuild = this.owns(session, this.state.guildId);
    this.sendTo(session, 'READY', {
      v: 10,
      user: { ...toWireUser(this.state.botUser), verified: true, mfa_enabled: false, flags: 0 },
      guilds: ownsGuild ? [{ id: this.state.guildId, unavailable: true }] : [],
      session_id: session.id,
      resume_gateway_url: this.gatewayUrl(),
      shard,
      application: { id: this.state.applicationId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
    });
    if (ownsGuild) this.sendTo(session, 'GUILD_CREATE', { ...this.guildPayload() });
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  private onResume(ws: WebSocket, d: { token: string; session_id: string; seq: number }): void {
    const session = this.sessions.get(d.session_id);
    if (!session || d.token !== this.token) {
      ws.send(JSON.stringify({ op: Op.InvalidSession, d: false }));
      return;
    }
    session.socket = ws;
    this.current = session;
    for (const missed of session.sent.filter((event) => event.s > d.seq)) {
      ws.send(JSON.stringify({ op: Op.Dispatch, ...missed }));
    }
    this.sendTo(session, 'RESUMED', {});
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  /** The guild with its channels, the @everyone role and the bot's own member. */
  guildPayload(): Record<string, unknown> {
    const guildId = this.state.guildId;
    const channels = [...this.state.channels.values()].filter(
      (c) => c.guild_id === guildId && c.type !== 11 && c.type !== 12,
    );
    const threads = [...this.state.channels.values()].filter(
      (c) => c.guild_id === guildId && (c.type === 11 || c.type === 12),
    );
    return {
      id: guildId,
      name: 'Emulated Guild',
      icon: null,
      owner_id: '1',
      unavailable: false,
      large: false,
      member_count: 2,
      joined_at: new Date().toISOString(),
      preferred_locale: 'en-US',
      features: [],
      emojis: [],
      stickers: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      premium_tier: 0,
      system_channel_flags: 0,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      roles: [
        {
          id: guildId,
          name: '@everyone',
          // VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | SEND_MESSAGES_IN_THREADS | CREATE_PUBLIC_THREADS
          permissions: String((1n << 10n) | (1n << 11n) | (1n << 16n) | (1n << 38n) | (1n << 35n)),
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
        ...this.state.roles.map((role, index) => ({
          id: role.id,
          name: role.name,
          permissions: '0',
          position: index + 1,
          color: 0,
          hoist: false,
          managed: role.botId !== undefined,
          mentionable: false,
          flags: 0,
          // The role Discord creates for a bot when it joins: people mention it instead of the bot.
          ...(role.botId ? { tags: { bot_id: role.botId } } : {}),
        })),
      ],
      channels: channels.map((c) => toWireChannel({ ...c, guild_id: undefined })),
      threads: threads.map(toWireChannel),
      members: [
        {
          user: toWireUser(this.state.botUser),
          roles: this.state.roles
            .filter((role) => role.botId === this.state.botUser.id)
            .map((role) => role.id),
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
      ],
    };
  }
}
