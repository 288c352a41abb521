import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttachmentLimits,
  classifyAttachment,
  convertAttachments,
  downloadCapped,
  mimeTypeFromName,
} from '../../src/engine/attachments.js';
import type { AttachmentResolver } from '../../src/engine/types.js';
import { AttachmentError } from '../../src/errors.js';
import type { AttachmentRef } from '../../src/store/types.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const MP4 = Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.alloc(64, 7)]);
const LIMITS: AttachmentLimits = { maxBytes: 64 * 1024, maxTextBytes: 1024, timeoutMs: 2000 };

let server: Server;
let base: string;
/** How many body bytes the server managed to write per path, to prove downloads were cut short. */
const written = new Map<string, number>();
const requestHeaders = new Map<string, IncomingMessage['headers']>();

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  requestHeaders.set(path, req.headers);
  switch (path) {
    case '/image.png':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
      return;
    case '/clip.mp4':
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(MP4);
      return;
    case '/notes.ts':
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end('const answer = 42; // héllo ✓\n');
      return;
    case '/huge-announced.png':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
      return; // never finishes: the client must not wait for it
    case '/huge-streamed.png': {
      // No content-length, and far more bytes than the cap, sent until the client hangs up.
      res.writeHead(200, { 'content-type': 'image/png' });
      let sent = 0;
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          written.set(path, sent);
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => written.set(path, sent));
      pump();
      return;
    }
    case '/login.png':
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<html><body>Sign in</body></html>');
      return;
    case '/slow.png':
      return; // never answers
    default:
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}

beforeAll(async () => {
  server = createServer(route);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function ref(name: string, mimeType: string, size: number, id = name): AttachmentRef {
  return { platform: 'discord', id, name, mimeType, size };
}

/** The loopback server stands in for a platform's configured API origin: allowed, loopback or not. */
const serverPolicy = () => ({ allowedOrigins: [base], credentialOrigins: [base], trustedOrigins: [base] });

/** Resolves a ref's id as a path on the loopback server. */
const resolveFromServer: AttachmentResolver = async (attachment) => ({
  url: `${base}/${attachment.id}`,
  policy: serverPolicy(),
});

describe('classifyAttachment', () => {
  it('sorts by MIME type and extension, and by announced size', () => {
    expect(classifyAttachment(ref('a.png', 'image/png', 10), LIMITS)).toBe('media');
    expect(classifyAttachment(ref('a.mov', 'application/octet-stream', 10), LIMITS)).toBe('media');
    expect(classifyAttachment(ref('a.webm', 'video/webm', 10), LIMITS)).toBe('media');
    expect(classifyAttachment(ref('main.go', 'application/octet-stream', 10), LIMITS)).toBe('text');
    expect(classifyAttachment(ref('data.json', 'application/json', 10), LIMITS)).toBe('text');
    expect(classifyAttachment(ref('mod.ts', 'video/mp2t', 10), LIMITS)).toBe('text');
    expect(classifyAttachment(ref('report.pdf', 'application/pdf', 10), LIMITS)).toBe('unsupported');
    expect(classifyAttachment(ref('big.png', 'image/png', LIMITS.maxBytes + 1), LIMITS)).toBe('too_large');
    expect(classifyAttachment(ref('big.txt', 'text/plain', LIMITS.maxTextBytes + 1), LIMITS)).toBe(
      'too_large',
    );
  });
});

describe('convertAttachments', () => {
  it('turns an image and a video into data: URL parts and a source file into an inlined text part', async () => {
    const result = await convertAttachments(
      [
        ref('image.png', 'image/png', PNG.length),
        ref('clip.mp4', 'video/mp4', MP4.length),
        ref('notes.ts', 'text/plain', 40),
      ],
      resolveFromServer,
      LIMITS,
    );
    expect(result.skipped).toEqual([]);
    expect(result.parts).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
      { type: 'image_url', image_url: { url: `data:video/mp4;base64,${MP4.toString('base64')}` } },
      { type: 'text', text: 'File notes.ts:\n```ts\nconst answer = 42; // héllo ✓\n```' },
    ]);
  });

  it('passes a public URL through in url mode, but never a source that needs headers', async () => {
    const refs = [ref('image.png', 'image/png', PNG.length)];
    const plain = await convertAttachments(refs, resolveFromServer, { ...LIMITS, mode: 'url' });
    expect(plain.parts).toEqual([{ type: 'image_url', image_url: { url: `${base}/image.png` } }]);
    const withToken: AttachmentResolver = async () => ({
      url: `${base}/image.png`,
      headers: { authorization: 'Bearer xoxb-test' },
      policy: serverPolicy(),
    });
    const secret = await convertAttachments(refs, withToken, { ...LIMITS, mode: 'url' });
    expect(secret.parts[0]).toMatchObject({
      image_url: { url: expect.stringMatching(/^data:image\/png;base64,/) },
    });
    expect(requestHeaders.get('/image.png')?.authorization).toBe('Bearer xoxb-test');
  });

  it('skips what it cannot use with a reason the user can read, and keeps the rest', async () => {
    const result = await convertAttachments(
      [
        ref('report.pdf', 'application/pdf', 100),
        ref('photo.png', 'image/png', 10, 'huge-announced.png'),
        ref('stream.png', 'image/png', 10, 'huge-streamed.png'),
        ref('big.png', 'image/png', 10 * 1024 * 1024),
        ref('login.png', 'image/png', 10),
        ref('gone.png', 'image/png', 10),
        ref('image.png', 'image/png', PNG.length),
      ],
      resolveFromServer,
      LIMITS,
    );
    expect(result.skipped).toEqual([
      { name: 'report.pdf', reason: 'report.pdf: this file type is not supported' },
      { name: 'photo.png', reason: 'photo.png: this file is too large (the limit is 64 KB)' },
      { name: 'stream.png', reason: 'stream.png: this file is too large (the limit is 64 KB)' },
      { name: 'big.png', reason: 'big.png: this file is too large (the limit is 64 KB)' },
      { name: 'login.png', reason: 'login.png: could not be downloaded' },
      { name: 'gone.png', reason: 'gone.png: could not be downloaded' },
    ]);
    expect(result.parts).toHaveLength(1);
    // The streamed download was cut off near the cap, not read to its 50 MB end.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written.get('/huge-streamed.png')!).toBeLessThan(10 * 1024 * 1024);
  });

  it('skips a file whose server does not answer in time', async () => {
    const result = await convertAttachments([ref('slow.png', 'image/png', 10)], resolveFromServer, {
      ...LIMITS,
      timeoutMs: 200,
    });
    expect(result).toEqual({
      parts: [],
      skipped: [{ name: 'slow.png', reason: 'slow.png: could not be downloaded' }],
    });
  });

  it('skips a file whose resolver fails', async () => {
    const failing: AttachmentResolver = async () => {
      throw new Error('refresh-urls refused');
    };
    const result = await convertAttachments([ref('a.png', 'image/png', 10)], failing, LIMITS);
    expect(result.skipped).toEqual([{ name: 'a.png', reason: 'a.png: could not be downloaded' }]);
  });

  it('throws when the turn is cancelled', async () => {
    const controller = new AbortController();
    const pending = convertAttachments(
      [ref('slow.png', 'image/png', 10)],
      resolveFromServer,
      LIMITS,
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error('stopped by the user')), 50);
    await expect(pending).rejects.toThrow('stopped by the user');
  });
});

describe('downloadCapped', () => {
  it('reads a file:// URL under the same cap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcb-attach-'));
    try {
      const small = join(dir, 'notes.md');
      await writeFile(small, '# Title\n\nbody\n');
      const file = await downloadCapped(
        { url: pathToFileURL(small).href, policy: { allowFileUrls: true } },
        { maxBytes: 100, timeoutMs: 1000, expectMime: 'text/markdown' },
      );
      expect(file.bytes.toString('utf8')).toBe('# Title\n\nbody\n');
      expect(file.contentType).toBe('text/markdown');

      const big = join(dir, 'big.bin');
      await writeFile(big, Buffer.alloc(5000));
      const error = await downloadCapped(
        { url: pathToFileURL(big).href, policy: { allowFileUrls: true } },
        { maxBytes: 100, timeoutMs: 1000 },
      ).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AttachmentError);
      expect((error as AttachmentError).code).toBe('too_large');

      const converted = await convertAttachments(
        [{ platform: 'console', id: small, name: 'notes.md', mimeType: 'text/markdown', size: 14 }],
        async (attachment) => ({ url: pathToFileURL(attachment.id).href, policy: { allowFileUrls: true } }),
        LIMITS,
      );
      expect(converted.parts).toEqual([
        { type: 'text', text: 'File notes.md:\n```markdown\n# Title\n\nbody\n```' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an HTTP error status as download_failed', async () => {
    const error = await downloadCapped(
      { url: `${base}/missing.png`, policy: serverPolicy() },
      { maxBytes: 100, timeoutMs: 1000 },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AttachmentError);
    expect((error as AttachmentError).code).toBe('download_failed');
    expect((error as AttachmentError).message).toContain('HTTP 404');
  });
});

describe('mimeTypeFromName: a type for files that arrive without one', () => {
  it.each([
    ['cat.PNG', 'image/png'],
    ['clip.mov', 'video/quicktime'],
    ['notes.md', 'text/markdown'],
    ['data.json', 'application/json'],
    ['main.py', 'text/plain'],
    ['setup.exe', 'application/octet-stream'],
    ['README', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(mimeTypeFromName(name)).toBe(type);
  });
});
