/**
 * The SSE decoder on fixture strings: line endings, characters split across reads, huge events,
 * comments, and a last event without its blank line.
 */
import { describe, expect, it } from 'vitest';
import { decodeEventStream, SseDecoder, SseOverflowError } from '../../src/upstream/sse.js';

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Every way to cut `data` into two reads. */
function allTwoWaySplits(data: Uint8Array): Uint8Array[][] {
  const splits: Uint8Array[][] = [];
  for (let at = 0; at <= data.length; at++) splits.push([data.subarray(0, at), data.subarray(at)]);
  return splits;
}

describe('SseDecoder', () => {
  it('yields the data of each event in order and skips comment lines', () => {
    const body = ': keep-alive\n\ndata: {"a":1}\n\n: ping\ndata: {"b":2}\n\ndata: [DONE]\n\n';
    expect(decodeEventStream([bytes(body)])).toEqual(['{"a":1}', '{"b":2}', '[DONE]']);
  });

  it('reads LF, CRLF and CR line endings alike', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const body = `data: one${eol}${eol}data: two${eol}${eol}data: [DONE]${eol}${eol}`;
      expect(decodeEventStream([bytes(body)]), JSON.stringify(eol)).toEqual(['one', 'two', '[DONE]']);
    }
  });

  it('keeps a CRLF pair split across two reads as one line ending', () => {
    const decoder = new SseDecoder();
    const seen = [...decoder.push(bytes('data: x\r')), ...decoder.push(bytes('\n\r\n')), ...decoder.end()];
    expect(seen).toEqual(['x']);
  });

  it('decodes multi-byte characters split at every possible byte', () => {
    const text = '思考中… 🙂 naïve';
    const body = bytes(`data: ${JSON.stringify({ t: text })}\n\ndata: [DONE]\n\n`);
    for (const reads of allTwoWaySplits(body)) {
      const events = decodeEventStream(reads);
      expect(JSON.parse(events[0]!).t).toBe(text);
      expect(events[1]).toBe('[DONE]');
    }
  });

  it('decodes a body fed one byte at a time', () => {
    const text = '我是一個大型語言模型,由 Google 訓練。';
    const body = bytes(`data: ${text}\n\ndata: [DONE]\n\n`);
    const reads = Array.from(body, (byte) => Uint8Array.of(byte));
    expect(decodeEventStream(reads)).toEqual([text, '[DONE]']);
  });

  it('emits a last data: [DONE] that has no trailing blank line', () => {
    expect(decodeEventStream([bytes('data: {"a":1}\n\ndata: [DONE]')])).toEqual(['{"a":1}', '[DONE]']);
    expect(decodeEventStream([bytes('data: {"a":1}\n\ndata: [DONE]\n')])).toEqual(['{"a":1}', '[DONE]']);
  });

  it('does not emit an event before its blank line has arrived', () => {
    const decoder = new SseDecoder();
    expect(decoder.push(bytes('data: {"a":1}\n'))).toEqual([]);
    expect(decoder.push(bytes('\n'))).toEqual(['{"a":1}']);
  });

  it('joins multi-line data with newlines and ignores event and id fields', () => {
    const body = 'event: message\nid: 7\ndata: first\ndata: second\n\n';
    expect(decodeEventStream([bytes(body)])).toEqual(['first\nsecond']);
  });

  it('handles a huge event delivered in many reads', () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const body = bytes(`data: ${big}\n\ndata: [DONE]\n\n`);
    const reads: Uint8Array[] = [];
    for (let at = 0; at < body.length; at += 16_384) reads.push(body.subarray(at, at + 16_384));
    const events = decodeEventStream(reads);
    expect(events).toHaveLength(2);
    expect(events[0]!.length).toBe(big.length);
  });

  it('handles many events in one huge read', () => {
    const body = `${Array.from({ length: 10_000 }, (_, i) => `data: ${i}\n\n`).join('')}data: [DONE]\n\n`;
    const events = decodeEventStream([bytes(body)]);
    expect(events).toHaveLength(10_001);
    expect(events[9_999]).toBe('9999');
  });

  it('refuses an event that grows past the limit without ending', () => {
    const decoder = new SseDecoder(1_000);
    expect(() => decoder.push(bytes(`data: ${'y'.repeat(2_000)}`))).toThrow(SseOverflowError);
  });

  it('turns bytes left incomplete at the end into a replacement character, not a crash', () => {
    const euro = bytes('€'); // three bytes
    const decoder = new SseDecoder();
    decoder.push(bytes('data: a'));
    decoder.push(euro.subarray(0, 2));
    expect(decoder.end()).toEqual(['a\uFFFD']);
  });
});
