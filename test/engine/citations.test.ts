/**
 * The citation mapper on a streamed answer: `[m3]` becomes a link to the real message however the
 * deltas split it, ids the summarizer never handed out are dropped, and the shown text only grows.
 */
import { describe, expect, it } from 'vitest';
import { CitationLinker } from '../../src/engine/citations.js';

const LINKS = new Map([
  ['m1', 'https://discord.com/channels/1/2/101'],
  ['m3', 'https://discord.com/channels/1/2/103'],
  ['m7', 'https://discord.com/channels/1/2/107'],
]);

/** Feeds `deltas` one by one; returns every piece the linker let through and their sum. */
function stream(deltas: string[]): { pieces: string[]; text: string } {
  const linker = new CitationLinker(LINKS);
  const pieces = deltas.map((delta) => linker.push(delta));
  pieces.push(linker.end());
  return { pieces, text: pieces.join('') };
}

/** Every way to cut `text` in two, and into single characters. */
function splits(text: string): string[][] {
  const cuts = [...text].map((_, index) => [text.slice(0, index), text.slice(index)]);
  return [...cuts, [...text]];
}

describe('CitationLinker', () => {
  const answer = '- The release moved to Friday [m3][m7]\n- Bob owns the fix [m1, m9]\n';
  const linked =
    '- The release moved to Friday [3](https://discord.com/channels/1/2/103) [7](https://discord.com/channels/1/2/107)\n' +
    '- Bob owns the fix [1](https://discord.com/channels/1/2/101)\n';

  it('links known ids and drops invented ones, in one delta', () => {
    expect(stream([answer]).text).toBe(linked);
  });

  it('gives the same text however the deltas split a citation', () => {
    for (const deltas of splits(answer)) expect(stream(deltas).text).toBe(linked);
  });

  it('never shows a partial citation while it streams', () => {
    const { pieces } = stream(['Point one [', 'm', '3', ']', ' and more']);
    expect(pieces).toEqual([
      'Point one ',
      '',
      '',
      '[3](https://discord.com/channels/1/2/103)',
      ' and more',
      '',
    ]);
  });

  it('drops an invented id entirely, never as a link or as text', () => {
    const { text } = stream(['Made up [m', '42] and [m3x] stays as written']);
    expect(text).toBe('Made up  and [m3x] stays as written');
    expect(text).not.toContain('](');
  });

  it('lets ordinary brackets through once they cannot be a citation', () => {
    const linker = new CitationLinker(LINKS);
    expect(linker.push('see [')).toBe('see ');
    expect(linker.push('more]')).toBe('[more]');
    expect(linker.push(' arr[i] ')).toBe(' arr[i] ');
  });

  it('shows an unclosed citation at the end as plain text, not as a link', () => {
    expect(stream(['The end [m3']).text).toBe('The end [m3');
  });

  it('links nothing when it was given no ids', () => {
    const linker = new CitationLinker(new Map());
    expect(linker.push('A point [m1]') + linker.end()).toBe('A point ');
  });
});
