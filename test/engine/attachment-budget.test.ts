/**
 * Attachment amplification (issue 8): a long thread full of big images must not turn every turn into
 * a huge request and a burst of downloads. A real engine on the upstream emulator, a loopback file
 * server standing in for the platform's CDN that counts the downloads it serves at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingTurn } from '../../src/engine/types.js';
import type { AttachmentRef, ConversationKey, Turn } from '../../src/store/types.js';
import { defaultResponder, type RecordedRequest } from '../emulators/upstream/server.js';
import { createTestEngine, type TestEngine } from '../support/harness.js';
import { RecordingSink } from '../support/recording-sink.js';

const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const IMAGE_BYTES = 250_000;
const REQUEST_BUDGET = 1_000_000;
/** What the emulated upstream accepts: the budget as base64 plus room for text; more is a 413. */
const UPSTREAM_BODY_LIMIT = Math.ceil((REQUEST_BUDGET * 4) / 3) + 200_000;
const HOLD_MS = 25;

let t: TestEngine;
let server: Server;
let base: string;
let counter = 0;
/** Every path the file server was asked for, in order. */
const served: string[] = [];
let activeDownloads = 0;
let maxConcurrentDownloads = 0;
/** Requests for /hold/… wait here until the test lets them go. */
const held: Array<() => void> = [];
/** Every attachment id the engine asked the resolver for, in order. */
const resolved: string[] = [];

/** The file server is on loopback: trusted the way a configured platform API origin is. */
function loopbackPolicy() {
  return { allowedOrigins: [base], trustedOrigins: [base] };
}

function imageOf(size: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, Buffer.alloc(size - PNG_SIGNATURE.length, 7)]);
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  served.push(path);
  activeDownloads += 1;
  maxConcurrentDownloads = Math.max(maxConcurrentDownloads, activeDownloads);
  res.once('close', () => {
    activeDownloads -= 1;
  });
  // A name ending in -<digits>.png or .txt says how many bytes are served, whatever the ref announces.
  const size = Number(/-(\d{4,})\.(png|txt)$/.exec(path)?.[1] ?? IMAGE_BYTES);
  const send = path.endsWith('.txt')
    ? () => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(size))
    : () => res.writeHead(200, { 'content-type': 'image/png' }).end(imageOf(size));
  // Each download takes a moment, so downloads that are allowed to overlap do overlap.
  if (path.startsWith('/hold/')) held.push(send);
  else setTimeout(send, HOLD_MS);
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = await createTestEngine({ env: { ATTACHMENT_REQUEST_MAX_BYTES: String(REQUEST_BUDGET) } });
  t.engine.registerResolver('discord', async (ref) => {
    resolved.push(ref.id);
    return { url: `${base}/${ref.id}`, policy: loopbackPolicy() };
  });
});
afterAll(async () => {
  await t.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  t.emulator.reset();
  // An upstream with a request size limit, like the real one: an oversized request is refused.
  t.emulator.setResponder((request) =>
    JSON.stringify(request.body).length > UPSTREAM_BODY_LIMIT
      ? { fault: { kind: 'http', status: 413, code: 'request_too_large' } }
      : defaultResponder(request),
  );
  served.length = 0;
  maxConcurrentDownloads = activeDownloads;
});

function newKey(): ConversationKey {
  counter += 1;
  return { platform: 'discord', workspace: 'g', channel: `c${counter}`, thread: `t${counter}` };
}

function image(id: string, size = IMAGE_BYTES): AttachmentRef {
  return { platform: 'discord', id, name: id, mimeType: 'image/png', size };
}

function turn(key: ConversationKey, text: string, attachments: AttachmentRef[]): IncomingTurn {
  counter += 1;
  return { key, author: { id: 'u1', name: 'Ada' }, text, attachments, messageIds: [`msg-${counter}`] };
}

// biome-ignore lint/suspicious/noExplicitAny: the emulator records raw JSON.
type WirePart = any;

function partsOf(request: RecordedRequest): WirePart[] {
  return request.body.messages.flatMap((message: { content: unknown }) =>
    Array.isArray(message.content) ? message.content : [],
  );
}

/** Bytes of every data: URL a request carries, decoded. */
function attachmentBytesOf(request: RecordedRequest): number {
  return partsOf(request)
    .filter((part) => part.type === 'image_url')
    .reduce(
      (sum, part) => sum + Buffer.from(String(part.image_url.url).split(',')[1] ?? '', 'base64').length,
      0,
    );
}

function textsOf(request: RecordedRequest): string[] {
  return partsOf(request)
    .filter((part) => part.type === 'text')
    .map((part) => part.text);
}

function notesOf(request: RecordedRequest): string[] {
  return partsOf(request)
    .filter((part) => part.type === 'text' && String(part.text).startsWith('['))
    .map((part) => part.text);
}

describe('the attachment bytes of one request', () => {
  it('stay within ATTACHMENT_REQUEST_MAX_BYTES, newest first, older ones a note and never downloaded', async () => {
    const key = newKey();
    const turns = 8;
    for (let index = 1; index <= turns; index++) {
      served.length = 0;
      const attachments = [1, 2, 3].map((n) => image(`t${index}-${n}.png`));
      const sink = new RecordingSink();
      const outcome = await t.engine.handleTurn(turn(key, `look at set ${index}`, attachments), sink);

      // The thread keeps answering: no request grows past what the upstream accepts.
      expect(outcome.status).toBe('done');
      expect(sink.shown()).toContain(`look at set ${index}`);
      const request = t.emulator.requests.at(-1)!;
      expect(attachmentBytesOf(request)).toBeLessThanOrEqual(REQUEST_BUDGET);
      // Four 250 kB images fit 1 MB: this turn's three, then the first of the turn before.
      const kept = index === 1 ? attachments : [...attachments, image(`t${index - 1}-1.png`)];
      expect(served.sort()).toEqual(kept.map((ref) => `/${ref.id}`).sort());
      const omitted = Array.from({ length: index - 1 }, (_, i) => i + 1).flatMap((earlier) =>
        [1, 2, 3]
          .filter((n) => !(earlier === index - 1 && n === 1))
          .map((n) => `[image t${earlier}-${n}.png omitted: older attachment]`),
      );
      expect(notesOf(request).sort()).toEqual(omitted.sort());
    }
    // Every earlier turn is still in the request (as text and notes), none dropped for its images.
    const last = t.emulator.requests.at(-1)!;
    expect(last.body.messages.filter((m: { role: string }) => m.role === 'user')).toHaveLength(turns);
  });

  it('skips what of the newest turn does not fit, with a notice and a note, and answers the rest', async () => {
    const key = newKey();
    const big = [1, 2, 3].map((n) => image(`big${n}-400000.png`, 400_000));
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(turn(key, 'three big ones', big), sink);
    expect(outcome.status).toBe('done');
    const request = t.emulator.requests.at(-1)!;
    expect(attachmentBytesOf(request)).toBe(800_000);
    expect(served.sort()).toEqual(['/big1-400000.png', '/big2-400000.png']);
    expect(notesOf(request)).toEqual(['[image big3-400000.png omitted: over the request attachment limit]']);
    expect(sink.notices.join(' ')).toContain('big3-400000.png');
    expect(sink.notices.join(' ')).toMatch(/977 KB/);
  });
});

describe('the thread of the issue, with the default budget', () => {
  it('40 turns of 3 × 2 MB images: one turn downloads the 10 newest that fit 20 MiB, not all of them', async () => {
    const defaults = await createTestEngine();
    defaults.engine.registerResolver('discord', async (ref) => ({
      url: `${base}/${ref.id}`,
      policy: loopbackPolicy(),
    }));
    try {
      const key = newKey();
      const twoMegabytes = 2 * 1000 * 1000;
      const history: Turn[] = [];
      for (let index = 1; index <= 40; index++) {
        history.push({
          role: 'user',
          text: `photos ${index}`,
          attachments: [1, 2, 3].map((n) => image(`i${index}n${n}-${twoMegabytes}.png`, twoMegabytes)),
          messageIds: [`u${index}`],
          createdAt: Date.now(),
        });
        history.push({
          role: 'assistant',
          text: 'nice',
          attachments: [],
          messageIds: [],
          createdAt: Date.now(),
        });
      }
      await defaults.store.history.append(key, history);
      const outcome = await defaults.engine.handleTurn(turn(key, 'which was best?', []), new RecordingSink());
      expect(outcome.status).toBe('done');
      const request = defaults.emulator.requests.at(-1)!;
      // 20 MiB holds ten 2 MB images: the three of each of the last three turns and one more.
      expect(served).toHaveLength(10);
      expect(attachmentBytesOf(request)).toBe(10 * twoMegabytes);
      expect(served).toContain(`/i40n3-${twoMegabytes}.png`);
      expect(served).toContain(`/i37n1-${twoMegabytes}.png`);
      expect(served).not.toContain(`/i37n2-${twoMegabytes}.png`);
      expect(maxConcurrentDownloads).toBeLessThanOrEqual(4);
      // HISTORY_MAX_TURNS (40) keeps the prompt and the 38 turns before it that start with a question:
      // 19 photo turns, 57 images, every one not sent a note.
      expect(notesOf(request)).toHaveLength(19 * 3 - 10);
    } finally {
      await defaults.close();
    }
  });
});

describe('the announced size and the history budget', () => {
  it('a file larger than announced cannot overrun the budget: it is cut off at what was reserved', async () => {
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(
      turn(newKey(), 'is this small?', [image('liar-900000.png', 1000), image('honest-2000.png', 2000)]),
      sink,
    );
    expect(outcome.status).toBe('done');
    expect(attachmentBytesOf(t.emulator.requests.at(-1)!)).toBe(2000);
    expect(sink.notices.join(' ')).toContain('liar-900000.png: this file is too large');
  });

  it('a file announced over ATTACHMENT_MAX_BYTES is skipped with that limit, without a download', async () => {
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(
      turn(newKey(), 'huge', [image('poster-1000.png', 30 * 1024 * 1024)]),
      sink,
    );
    expect(outcome.status).toBe('done');
    expect(sink.notices).toEqual(['poster-1000.png: this file is too large (the limit is 20 MB)']);
    expect(served).toEqual([]);
  });

  it('a file of unknown size (0) gets what is left of the budget, never more', async () => {
    const sink = new RecordingSink();
    const outcome = await t.engine.handleTurn(
      turn(newKey(), 'sizes unknown', [image('first-600000.png'), image('second-600000.png', 0)]),
      sink,
    );
    expect(outcome.status).toBe('done');
    const request = t.emulator.requests.at(-1)!;
    // 250 000 announced for the first, the second may take the 750 000 left and needs 600 000.
    expect(attachmentBytesOf(request)).toBe(600_000);
    // Its limit is what the budget reserved for it (its announced size), not the 20 MiB per-file cap.
    expect(sink.notices.join(' ')).toContain(
      'first-600000.png: this file is too large (the limit is 244 KB)',
    );
    const unknown = await t.engine.handleTurn(
      turn(newKey(), 'too big', [image('big-900000.png'), image('huge-900000.png', 0)]),
      new RecordingSink(),
    );
    expect(unknown.status).toBe('done');
    expect(attachmentBytesOf(t.emulator.requests.at(-1)!)).toBeLessThanOrEqual(REQUEST_BUDGET);
  });

  it('an inlined text file of an earlier turn counts its size against HISTORY_MAX_CHARS', async () => {
    const key = newKey();
    const file: AttachmentRef = {
      platform: 'discord',
      id: 'notes-150000.txt',
      name: 'notes-150000.txt',
      mimeType: 'text/plain',
      size: 150_000,
    };
    t.emulator.enqueue({ content: ['Got it.'] }); // not the echo: that would repeat the whole file
    expect((await t.engine.handleTurn(turn(key, 'read this', [file]), new RecordingSink())).status).toBe(
      'done',
    );
    expect(JSON.stringify(t.emulator.requests.at(-1)!.body).length).toBeGreaterThan(150_000);
    served.length = 0;
    expect((await t.engine.handleTurn(turn(key, 'and now?', []), new RecordingSink())).status).toBe('done');
    const request = t.emulator.requests.at(-1)!;
    // Over the 100 000-character history: the file becomes a note, its turn's text stays.
    expect(JSON.stringify(request.body).length).toBeLessThan(100_000);
    expect(notesOf(request)).toEqual(['[file notes-150000.txt omitted: older attachment]']);
    expect(textsOf(request)).toContain('read this');
    expect(served).toEqual([]);
  });
});

describe('attachment downloads in the whole process', () => {
  it('never run more than 4 at once, across turns and conversations', async () => {
    const seeded = async (key: ConversationKey) => {
      const history: Turn[] = [];
      for (let index = 1; index <= 5; index++) {
        history.push({
          role: 'user',
          text: `small ${index}`,
          attachments: [1, 2].map((n) => image(`${key.channel}-s${index}${n}-1000.png`, 1000)),
          messageIds: [`${key.channel}-u${index}`],
          createdAt: Date.now(),
        });
        history.push({
          role: 'assistant',
          text: 'ok',
          attachments: [],
          messageIds: [],
          createdAt: Date.now(),
        });
      }
      await t.store.history.append(key, history);
      return key;
    };
    const keys = await Promise.all([seeded(newKey()), seeded(newKey())]);
    const outcomes = await Promise.all(
      keys.map((key) =>
        t.engine.handleTurn(
          turn(key, 'and now?', [image(`${key.channel}-new-1000.png`, 1000)]),
          new RecordingSink(),
        ),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['done', 'done']);
    // All 22 small images fit the budget and were each downloaded once, never more than 4 at a time.
    expect(served).toHaveLength(22);
    expect(new Set(served).size).toBe(22);
    expect(maxConcurrentDownloads).toBeLessThanOrEqual(4);
    expect(maxConcurrentDownloads).toBeGreaterThan(1);
  });

  it('a stopped turn leaves the download queue: its files are never fetched', async () => {
    const waiting = newKey();
    // Two other conversations hold all 4 slots with downloads that do not finish yet.
    const blockers = [newKey(), newKey()].map((key) =>
      t.engine.handleTurn(
        turn(
          key,
          'two slow ones',
          [1, 2].map((n) => image(`hold/${key.channel}-${n}-1000.png`, 1000)),
        ),
        new RecordingSink(),
      ),
    );
    await waitFor(() => held.length === 4);
    const stopped = t.engine.handleTurn(
      turn(waiting, 'queued', [image(`queued-1000.png`, 1000)]),
      new RecordingSink(),
    );
    // Resolved, its download is next: nothing but the limiter's line stands between the two.
    await waitFor(() => resolved.includes('queued-1000.png'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.engine.stop(waiting)).toBe(true);
    // Ends while all 4 slots are still held: a waiter that stayed in line would wait for one.
    expect((await stopped).status).toBe('stopped');
    for (const release of held.splice(0)) release();
    expect((await Promise.all(blockers)).map((outcome) => outcome.status)).toEqual(['done', 'done']);
    expect(served).not.toContain('/queued-1000.png');
    // Every slot came back: a turn with 4 files downloads them all.
    const after = newKey();
    const next = await t.engine.handleTurn(
      turn(
        after,
        'four more',
        [1, 2, 3, 4].map((n) => image(`${after.channel}-after${n}-1000.png`, 1000)),
      ),
      new RecordingSink(),
    );
    expect(next.status).toBe('done');
    expect(served.filter((path) => path.includes(`${after.channel}-after`))).toHaveLength(4);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
