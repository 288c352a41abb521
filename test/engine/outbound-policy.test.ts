/**
 * The pieces of the outbound-fetch policy on their own: which addresses are private, the
 * connect-time lookup that refuses them, the URL rules, and type sniffing from magic numbers.
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { assertUrlAllowed, guardedLookup, isPrivateAddress } from '../../src/engine/outbound-policy.js';
import { isUtf8Text, sniffMediaType } from '../../src/engine/sniff-type.js';
import type { AttachmentError } from '../../src/errors.js';

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['[::1]', true],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['172.32.0.1', false],
    ['8.8.8.8', false],
    ['162.159.128.233', false],
    ['2606:4700::6810:84e5', false],
    ['files.slack.com', false],
  ])('%s → %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('guardedLookup (the connect-time check)', () => {
  const lookup = (hostname: string, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; result: string | LookupAddress[] }>((resolve) =>
      guardedLookup(hostname, { all } as never, (error: NodeJS.ErrnoException | null, result: unknown) =>
        resolve({ error, result: result as string | LookupAddress[] }),
      ),
    );

  it('refuses a name that resolves to a loopback address, in both callback forms', async () => {
    for (const all of [false, true]) {
      const { error } = await lookup('localhost', all);
      expect(error?.message).toContain('private address');
    }
  });
});

describe('assertUrlAllowed', () => {
  const code = (url: string, policy = {}) => {
    try {
      assertUrlAllowed(url, policy, 'f');
      return 'allowed';
    } catch (error) {
      return (error as AttachmentError).code;
    }
  };

  it('allows listed origins, trusted loopback, and file: only where the policy says so', () => {
    const slack = { allowedOrigins: ['https://files.slack.com'] };
    expect(code('https://files.slack.com/files-pri/T1-F1/a.png', slack)).toBe('allowed');
    expect(code('http://files.slack.com/files-pri/T1-F1/a.png', slack)).toBe('blocked');
    expect(code('https://files.slack.com.evil.example/a.png', slack)).toBe('blocked');
    expect(code('https://user:pw@example.com/a.png')).toBe('blocked');
    expect(code('ftp://example.com/a.png')).toBe('blocked');
    expect(code('http://127.0.0.1:9/a.png')).toBe('blocked');
    expect(code('http://127.0.0.1:9/a.png', { trustedOrigins: ['http://127.0.0.1:9'] })).toBe('allowed');
    expect(code('http://[fe80::1]/a.png')).toBe('blocked');
    expect(code('file:///etc/passwd')).toBe('blocked');
    expect(code('file:///tmp/a.png', { allowFileUrls: true })).toBe('allowed');
  });
});

describe('sniffMediaType', () => {
  const hex = (value: string) => Buffer.from(value, 'hex');
  it.each([
    ['png', hex('89504e470d0a1a0a0000000d49484452'), 'image/png'],
    ['jpeg', hex('ffd8ffe000104a464946'), 'image/jpeg'],
    ['gif', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
    ['webp', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), 'image/webp'],
    ['mp4', hex('000000186674797069736f6d00000200'), 'video/mp4'],
    ['mov', Buffer.from('\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00', 'latin1'), 'video/quicktime'],
    ['heic', Buffer.from('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00', 'latin1'), 'image/heic'],
    ['webm', hex('1a45dfa39f4286810142f7810142f2'), 'video/webm'],
    ['html', Buffer.from('<!DOCTYPE html><html>'), undefined],
    ['zip', hex('504b03041400000008'), undefined],
    ['pdf', Buffer.from('%PDF-1.7'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ])('%s', (_, bytes, expected) => {
    expect(sniffMediaType(bytes)).toBe(expected);
  });

  it('accepts UTF-8 text (with a BOM) and refuses Latin-1 bytes', () => {
    expect(isUtf8Text(Buffer.from('\ufeffhéllo ✓'))).toBe(true);
    expect(isUtf8Text(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(false);
  });
});
