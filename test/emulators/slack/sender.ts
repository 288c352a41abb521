/**
 * Plays Slack's side of the Events API, interactivity and slash commands: POSTs signed requests to
 * the bot's `/slack/events` the way Slack does (`X-Slack-Request-Timestamp`, `X-Slack-Signature` =
 * `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`, `X-Slack-Retry-Num` on redeliveries).
 * Interactivity payloads are form-encoded as `payload=<json>`; slash commands as plain form fields.
 * Bolt compares the content type exactly, so it is sent without a charset, as Slack does.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface SendOptions {
  /** Seconds since the epoch; default now. An old one is a replayed request. */
  timestamp?: number;
  /** Replaces the computed signature (a forged request). */
  signature?: string;
  /** Sent as X-Slack-Retry-Num / X-Slack-Retry-Reason (a redelivery). */
  retryNum?: number;
  retryReason?: string;
}

export interface SendResult {
  status: number;
  body: string;
  /** Wall time from sending to the full response (the ack), for the benchmark. */
  elapsedMs: number;
}

export interface EventEnvelopeOptions extends SendOptions {
  /** Default a fresh id; repeat one to model a redelivery of the same event. */
  eventId?: string;
}

export interface SlackSender {
  /** Wraps `event` in an `event_callback` envelope and sends it; returns the envelope's event id too. */
  event(
    event: Record<string, unknown>,
    options?: EventEnvelopeOptions,
  ): Promise<SendResult & { eventId: string }>;
  /** Sends an interactivity payload (block_actions, …) as `payload=<json>`. */
  interaction(payload: Record<string, unknown>, options?: SendOptions): Promise<SendResult>;
  /** Sends a slash command's form fields. */
  command(fields: Record<string, string>, options?: SendOptions): Promise<SendResult>;
  /** Sends any body with any content type, signed (unless `signature` is given). */
  raw(body: string, contentType: string, options?: SendOptions): Promise<SendResult>;
}

export interface SenderOptions {
  /** The bot's events URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  url: string;
  signingSecret: string;
  teamId: string;
  botUserId: string;
  apiAppId?: string;
}

/** The signature Slack puts in X-Slack-Signature. */
export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** A fresh Events API event id. */
export function newEventId(): string {
  return `Ev${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
}

/** The `event_callback` envelope Slack wraps every event in (over HTTP and in Socket Mode). */
export function eventEnvelope(
  event: Record<string, unknown>,
  options: { teamId: string; botUserId: string; apiAppId?: string; eventId?: string },
): Record<string, unknown> {
  return {
    token: 'legacy-verification-token',
    team_id: options.teamId,
    api_app_id: options.apiAppId ?? 'A0EMULATED',
    event,
    type: 'event_callback',
    event_id: options.eventId ?? newEventId(),
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: options.teamId, user_id: options.botUserId, is_bot: true },
    ],
    is_ext_shared_channel: false,
  };
}

export function createSlackSender(options: SenderOptions): SlackSender {
  const raw: SlackSender['raw'] = async (body, contentType, sendOptions = {}) => {
    const timestamp = sendOptions.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sendOptions.signature ?? signSlackRequest(options.signingSecret, timestamp, body),
    };
    if (sendOptions.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(sendOptions.retryNum);
      headers['x-slack-retry-reason'] = sendOptions.retryReason ?? 'http_timeout';
    }
    const started = performance.now();
    const response = await fetch(options.url, { method: 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, body: text, elapsedMs: performance.now() - started };
  };

  return {
    raw,
    async event(event, sendOptions = {}) {
      const eventId = sendOptions.eventId ?? newEventId();
      const envelope = eventEnvelope(event, { ...options, eventId });
      const result = await raw(JSON.stringify(envelope), 'application/json', sendOptions);
      return { ...result, eventId };
    },
    interaction(payload, sendOptions) {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return raw(body, 'application/x-www-form-urlencoded', sendOptions);
    },
    command(fields, sendOptions) {
      const body = new URLSearchParams(fields).toString();
      return raw(body, 'application/x-www-form-urlencoded', sendOptions);
    },
  };
}
