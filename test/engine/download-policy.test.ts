/**
 * The outbound-fetch policy as a download meets it: allowed origins on every redirect hop, at most
 * three hops, credentials bound to their origin, private addresses refused at connect time, file:
 * URLs only where allowed, and a type decided by the bytes. Two real loopback servers: `home` is
 * the configured (trusted) origin, `elsewhere` records whatever reaches it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AttachmentLimits, convertAttachments, downloadCapped } from '../../src/engine/attachments.js';
import type { AttachmentResolver, AttachmentSource } from '../../src/engine/types.js';
import { AttachmentError } from '../../src/errors.js';
import type { AttachmentRef } from '../../src/store/types.js';
import { RecordingServer } from '../support/recording-server.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const HTML = Buffer.from('<!DOCTYPE html><html><body>not an image</body></html>');
const ZIP = Buffer.concat([Buffer.from('504b0304140000000800', 'hex'), Buffer.alloc(40, 3)]);
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café" in Latin-1: not UTF-8
const LIMITS: AttachmentLimits = { maxBytes: 64 * 1024, maxTextBytes: 1024, timeoutMs: 2000 };
const TOKEN = 'Bearer xoxb-secret-token';

function serveFiles(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  const hop = /^\/hop\/(\d+)$/.exec(path);
  if (hop) {
    const left = Number(hop[1]);
    if (left === 0) res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(302, { location: `/hop/${left - 1}` }).end();
    return;
  }
  const bodies: Record<string, [string, Buffer]> = {
    '/image.png': ['image/png', PNG],
    '/fake-html.png': ['image/png', HTML],
    '/fake-zip.png': ['image/png', ZIP],
    '/latin1.txt': ['text/plain', LATIN1],
  };
  const body = bodies[path];
  if (body) {
    res.writeHead(200, { 'content-type': body[0] }).end(body[1]);
    return;
  }
  res.writeHead(404).end();
}

let home: RecordingServer;
let elsewhere: RecordingServer;

beforeAll(async () => {
  elsewhere = await new RecordingServer(serveFiles).listen();
  home = await new RecordingServer((req, res) => {
    const redirects: Record<string, string> = {
      '/to-elsewhere': `${elsewhere.origin}/image.png`,
      '/to-mapped-loopback': `http://[::ffff:127.0.0.1]:${elsewhere.port}/image.png`,
      '/to-metadata': 'http://169.254.169.254/latest/meta-data/',
    };
    const target = redirects[req.url ?? ''];
    if (target) res.writeHead(302, { location: target }).end();
    else serveFiles(req, res);
  }).listen();
});
afterAll(async () => {
  await Promise.all([home.close(), elsewhere.close()]);
});
beforeEach(() => {
  home.requests.length = 0;
  elsewhere.requests.length = 0;
});

/** A source the way a platform resolver hands one out: its own origin allowed, trusted, credentialed. */
function homeSource(path: string, extra: Partial<AttachmentSource> = {}): AttachmentSource {
  return {
    url: `${home.origin}${path}`,
    headers: { authorization: TOKEN },
    policy: {
      allowedOrigins: [home.origin],
      credentialOrigins: [home.origin],
      trustedOrigins: [home.origin],
    },
    ...extra,
  };
}

async function downloadError(source: AttachmentSource): Promise<AttachmentError> {
  const error = await downloadCapped(source, { maxBytes: 1024, timeoutMs: 1500, name: 'cat.png' }).then(
    () => new Error('the download succeeded'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AttachmentError);
  return error as AttachmentError;
}

describe('redirects', () => {
  it('follows up to three same-origin redirects with the credentials, and refuses a fourth', async () => {
    const file = await downloadCapped(homeSource('/hop/3'), { maxBytes: 1024, timeoutMs: 1500 });
    expect(file.bytes).toEqual(PNG);
    expect(home.requests.map((r) => [r.path, r.authorization])).toEqual([
      ['/hop/3', TOKEN],
      ['/hop/2', TOKEN],
      ['/hop/1', TOKEN],
      ['/hop/0', TOKEN],
    ]);
    home.requests.length = 0;
    expect((await downloadError(homeSource('/hop/4'))).code).toBe('blocked');
    expect(home.requests.map((r) => r.path)).not.toContain('/hop/0');
  });

  it('refuses a redirect from an allowed host to a host that is not allowed, which sees nothing', async () => {
    expect((await downloadError(homeSource('/to-elsewhere'))).code).toBe('blocked');
    expect(elsewhere.requests).toEqual([]);
  });

  it('refuses a redirect to a private address even when any public host is allowed', async () => {
    const anyPublicHost = { trustedOrigins: [home.origin], credentialOrigins: [home.origin] };
    const mapped = await downloadError(homeSource('/to-mapped-loopback', { policy: anyPublicHost }));
    expect(mapped.code).toBe('blocked');
    expect(elsewhere.requests).toEqual([]);
    const metadata = await downloadError(homeSource('/to-metadata', { policy: anyPublicHost }));
    expect(metadata.code).toBe('blocked');
  });

  it('drops the credentials on a redirect to another allowed origin', async () => {
    const file = await downloadCapped(
      homeSource('/to-elsewhere', {
        policy: {
          allowedOrigins: [home.origin, elsewhere.origin],
          credentialOrigins: [home.origin, elsewhere.origin],
          trustedOrigins: [home.origin, elsewhere.origin],
        },
      }),
      { maxBytes: 1024, timeoutMs: 1500 },
    );
    expect(file.bytes).toEqual(PNG);
    expect(home.requests[0]?.authorization).toBe(TOKEN);
    expect(elsewhere.requests).toEqual([{ path: '/image.png', authorization: undefined }]);
  });
});

describe('credentials and addresses', () => {
  it('never sends headers to an origin the policy does not bind them to', async () => {
    const source = homeSource('/image.png', { url: `${elsewhere.origin}/image.png` });
    source.policy = { ...source.policy, allowedOrigins: [home.origin, elsewhere.origin] };
    expect((await downloadError(source)).code).toBe('blocked');
    expect(elsewhere.requests).toEqual([]);
  });

  it('refuses a name that resolves to 127.0.0.1 when it connects (the name itself is allowed)', async () => {
    const origin = `http://localhost:${elsewhere.port}`;
    const error = await downloadError({ url: `${origin}/image.png`, policy: { allowedOrigins: [origin] } });
    expect(error.code).toBe('blocked');
    expect(error.message).toContain('private address');
    expect(elsewhere.requests).toEqual([]);
  });

  it('refuses a loopback URL from a source without a policy', async () => {
    expect((await downloadError({ url: `${elsewhere.origin}/image.png` })).code).toBe('blocked');
    expect(elsewhere.requests).toEqual([]);
  });

  it('reads a file: URL only when the policy allows it (the console)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gcb-policy-'));
    try {
      const path = join(dir, 'cat.png');
      await writeFile(path, PNG);
      const url = pathToFileURL(path).href;
      expect((await downloadError({ url })).code).toBe('blocked');
      expect((await downloadError({ url, policy: { allowedOrigins: [home.origin] } })).code).toBe('blocked');
      const file = await downloadCapped(
        { url, policy: { allowFileUrls: true } },
        { maxBytes: 1024, timeoutMs: 1500 },
      );
      expect(file.bytes).toEqual(PNG);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function ref(name: string, mimeType: string, id = name): AttachmentRef {
  return { platform: 'discord', id, name, mimeType, size: 10 };
}

describe('the bytes decide the type', () => {
  it('skips a .png whose bytes are HTML or a zip, and text that is not UTF-8, with a notice naming each', async () => {
    const resolve: AttachmentResolver = async (attachment) => homeSource(`/${attachment.id}`);
    const result = await convertAttachments(
      [
        ref('cat.png', 'image/png', 'fake-html.png'),
        ref('dog.png', 'image/png', 'fake-zip.png'),
        ref('notes.txt', 'text/plain', 'latin1.txt'),
        ref('real.png', 'image/png', 'image.png'),
      ],
      resolve,
      LIMITS,
    );
    expect(result.parts).toEqual([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
    ]);
    expect(result.skipped.map((s) => s.name)).toEqual(['cat.png', 'dog.png', 'notes.txt']);
    for (const skipped of result.skipped) {
      expect(skipped.reason).toContain(skipped.name);
      expect(skipped.reason).toContain('not the image, video or text its name says');
    }
  });
});

describe("mode 'url'", () => {
  it('passes upstream only a URL the policy allows; others are skipped, not passed on', async () => {
    const urlMode = { ...LIMITS, mode: 'url' as const };
    const refs = [ref('cat.png', 'image/png')];
    const allowed = await convertAttachments(
      refs,
      async () => ({ url: `${home.origin}/image.png`, policy: { trustedOrigins: [home.origin] } }),
      urlMode,
    );
    expect(allowed.parts).toEqual([{ type: 'image_url', image_url: { url: `${home.origin}/image.png` } }]);

    const offList = await convertAttachments(
      refs,
      async () => ({
        url: `${elsewhere.origin}/image.png`,
        policy: { allowedOrigins: [home.origin], trustedOrigins: [home.origin] },
      }),
      urlMode,
    );
    const metadata = await convertAttachments(
      refs,
      async () => ({ url: 'http://169.254.169.254/latest/meta-data/cat.png' }),
      urlMode,
    );
    for (const result of [offList, metadata]) {
      expect(result.parts).toEqual([]);
      expect(result.skipped).toEqual([
        { name: 'cat.png', reason: expect.stringContaining('not stored where the bot may download') },
      ]);
    }
    expect(elsewhere.requests).toEqual([]);
  });
});
