import { describe, expect, it } from 'vitest';
import {
  closeOpenMarkdown,
  findCodeFences,
  splitMessage,
  splitMessageChunks,
} from '../../src/engine/split.js';

/** A small seeded PRNG (mulberry32) so every "random" input is the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'word',
  'a',
  'Gemini',
  ' ',
  ' ',
  ' ',
  '\n',
  '\n\n',
  '\r\n',
  '```ts\n',
  '```\n',
  '~~~python\n',
  '~~~\n',
  '    indented',
  '👨‍👩‍👧‍👦',
  '🇯🇵',
  '🇺🇸',
  'e\u0301',
  '𝄞',
  '中文字符',
  '👍🏽',
  'supercalifragilisticexpialidocious',
  '**bold**',
  '`inline`',
];

function randomMarkdown(random: () => number, pieces: number): string {
  let text = '';
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(random() * PIECES.length)];
  return text;
}

function graphemeBoundaries(text: string): Set<number> {
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const set = new Set<number>([text.length]);
  for (const segment of segmenter.segment(text)) set.add(segment.index);
  return set;
}

describe('splitMessage', () => {
  it('keeps a text that fits as one message, and gives no message for an empty text', () => {
    expect(splitMessage('hello', 2000)).toEqual(['hello']);
    expect(splitMessage('', 2000)).toEqual([]);
  });

  it('prefers a blank line, then a line break, then a space', () => {
    const paragraphs = `${'a'.repeat(60)}\n\n${'b'.repeat(30)}\n${'c'.repeat(30)}`;
    expect(splitMessage(paragraphs, 100)[0]).toBe(`${'a'.repeat(60)}\n\n`);
    const lines = `${'a'.repeat(60)}\n${'b'.repeat(30)} ${'c'.repeat(30)}`;
    expect(splitMessage(lines, 80)[0]).toBe(`${'a'.repeat(60)}\n`);
    const words = `${'a'.repeat(50)} ${'b'.repeat(50)}`;
    expect(splitMessage(words, 80)).toEqual([`${'a'.repeat(50)} `, 'b'.repeat(50)]);
  });

  it('hard-cuts a word longer than the limit', () => {
    expect(splitMessage('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('never cuts inside an emoji with ZWJ, a flag or a surrogate pair', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 code units
    const chunks = splitMessage(family.repeat(5), 30);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(30);
    for (const chunk of chunks) expect(chunk.length % family.length).toBe(0);
    expect(chunks.join('')).toBe(family.repeat(5));

    const flags = '🇯🇵🇺🇸🇫🇷'.repeat(4); // each flag = 4 code units
    const flagChunks = splitMessage(flags, 10);
    for (const chunk of flagChunks) expect(chunk.length).toBe(8);
    expect(flagChunks.join('')).toBe(flags);

    const clefs = '𝄞'.repeat(9);
    expect(splitMessage(clefs, 5)).toEqual(['𝄞𝄞', '𝄞𝄞', '𝄞𝄞', '𝄞𝄞', '𝄞']);
  });

  it('closes an open code fence at the cut and reopens it with the same language', () => {
    const code = Array.from({ length: 40 }, (_, i) => `const value${i} = ${i};`).join('\n');
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
    const chunks = splitMessageChunks(text, 300);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.text.endsWith('```')).toBe(true);
    expect(chunks[1]!.text.startsWith('```ts\n')).toBe(true);
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(300);
      expect(findCodeFences(chunk.text).every((fence) => fence.closed)).toBe(true);
    }
    expect(chunks.map((chunk) => chunk.body).join('')).toBe(text);
  });

  it('splits a 6,000-character answer with code into 2,000-character messages, fences balanced', () => {
    const prose = 'This paragraph explains the approach in some detail. '.repeat(20);
    const code = Array.from({ length: 80 }, (_, i) => `    print("line ${i} of the example")`).join('\n');
    let text = `${prose}\n\n\`\`\`python\ndef main():\n${code}\n\`\`\`\n\n${prose}`;
    while (text.length < 6000) text += `\n\nMore notes: ${prose}`;
    const chunks = splitMessageChunks(text, 2000);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(2000);
      expect(findCodeFences(chunk.text).every((fence) => fence.closed)).toBe(true);
    }
    expect(chunks.some((chunk) => chunk.reopen === '```python\n')).toBe(true);
    expect(chunks.map((chunk) => chunk.body).join('')).toBe(text);
  });

  it('does not leave an empty code block when the cut falls at a fence line', () => {
    const before = 'a'.repeat(40);
    const text = `${before}\n\`\`\`js\n${'x();\n'.repeat(10)}\`\`\`\nafter`;
    for (const chunk of splitMessage(text, 50)) expect(chunk).not.toMatch(/```js\n```/);
  });

  it('rejects a limit too small to hold one code point', () => {
    expect(() => splitMessage('abc', 1)).toThrow(RangeError);
  });

  it('random Markdown: every chunk fits, cuts are at grapheme boundaries, bodies give back the text', () => {
    const random = seededRandom(20240611);
    for (let round = 0; round < 400; round++) {
      const text = randomMarkdown(random, 5 + Math.floor(random() * 300));
      const maxLength = 40 + Math.floor(random() * 200);
      const chunks = splitMessageChunks(text, maxLength);
      const boundaries = graphemeBoundaries(text);
      let offset = 0;
      for (const chunk of chunks) {
        expect(chunk.text.length).toBeLessThanOrEqual(maxLength);
        expect(chunk.text).toBe(chunk.reopen + chunk.body + chunk.close);
        expect(chunk.body.length).toBeGreaterThan(0);
        expect(chunk.reopen).toMatch(/^([ \t]*(`{3,}|~{3,})[^\n]*\n)?$/);
        expect(chunk.close).toMatch(/^(\n?[ \t]*(`{3,}|~{3,}))?$/);
        offset += chunk.body.length;
        expect(boundaries.has(offset), `cut at ${offset} in round ${round}`).toBe(true);
      }
      expect(chunks.map((chunk) => chunk.body).join('')).toBe(text);
    }
  });

  it('random Markdown: a chunk never ends inside a code block it does not close', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 200; round++) {
      const text = randomMarkdown(random, 50 + Math.floor(random() * 400));
      const chunks = splitMessage(text, 120);
      for (const chunk of chunks.slice(0, -1)) {
        expect(findCodeFences(chunk).every((fence) => fence.closed)).toBe(true);
      }
    }
  });
});

describe('closeOpenMarkdown', () => {
  it('closes a fence left open by a streaming snapshot, for display only', () => {
    expect(closeOpenMarkdown('Look:\n```ts\nconst a = 1;')).toBe('Look:\n```ts\nconst a = 1;\n```');
    expect(closeOpenMarkdown('Look:\n~~~~\nx\n')).toBe('Look:\n~~~~\nx\n~~~~');
    expect(closeOpenMarkdown('```py')).toBe('```py\n```');
  });

  it('leaves balanced or fence-free text alone', () => {
    expect(closeOpenMarkdown('a ```inline``` b')).toBe('a ```inline``` b');
    expect(closeOpenMarkdown('```\nx\n```\n')).toBe('```\nx\n```\n');
    expect(closeOpenMarkdown('plain')).toBe('plain');
  });
});
