/**
 * Splitting a Markdown answer into messages that each fit a platform's limit (Discord 2,000,
 * Slack ~3,900 characters; see ../../docs/platform-limits.md).
 *
 * Lengths are UTF-16 code units, which is how both platforms count, but a cut never lands inside
 * a surrogate pair or a grapheme cluster (a ZWJ emoji, a flag, a letter with combining marks).
 * A cut prefers a blank line, then a line break, then a space. A code fence that is open where a
 * chunk ends is closed at the end of that chunk and reopened (same info string) at the start of the
 * next, so every message renders its code as code. Without those added fence lines, the chunks
 * concatenate back to exactly the original text.
 */

/** A fenced code block (``` or ~~~) found in a Markdown text. */
export interface CodeFence {
  /** Index where the opening fence line starts. */
  openStart: number;
  /** Index just after the opening line's line break: where the code starts. */
  codeStart: number;
  /** Index where the closing fence line starts, or the text's length while the fence is open. */
  codeEnd: number;
  /** Index just after the closing line (and its line break), or the text's length. */
  closeEnd: number;
  /** False while no closing fence line has arrived (a streaming snapshot, a cut answer). */
  closed: boolean;
  /** The opening line as written, without its line break, e.g. "```ts" or "  ~~~~ python". */
  openerLine: string;
  /** The line that closes it: the opener's indentation and fence characters, e.g. "```". */
  closer: string;
}

/** One message of a split answer: `text` is what is sent, `body` the slice of the original. */
export interface MessageChunk {
  /** What the message shows: `reopen + body + close`. */
  text: string;
  /** A fence line reopening the code block the previous chunk closed ("```ts\n"), or "". */
  reopen: string;
  /** The exact slice of the original text; the bodies concatenate to the original. */
  body: string;
  /** A fence line closing a code block left open by the cut ("\n```"), or "". */
  close: string;
}

const OPENER = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const CLOSER = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;

/** Finds every fenced code block, the way CommonMark pairs them (leniently about indentation). */
export function findCodeFences(text: string): CodeFence[] {
  const fences: CodeFence[] = [];
  let open: {
    openStart: number;
    codeStart: number;
    openerLine: string;
    fence: string;
    indent: string;
  } | null = null;
  let pos = 0;
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const lineEnd = newline === -1 ? text.length : newline;
    const next = newline === -1 ? text.length : newline + 1;
    // Cheap test first: only lines whose first non-blank character is ` or ~ can be fences.
    let first = pos;
    while (first < lineEnd && (text[first] === ' ' || text[first] === '\t')) first++;
    const lead = text[first];
    if (first < lineEnd && (lead === '`' || lead === '~')) {
      let line = text.slice(pos, lineEnd);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (!open) {
        const match = OPENER.exec(line);
        // A backtick fence's info string cannot contain a backtick ("```x```" is inline code).
        if (match && !(match[2]!.startsWith('`') && match[3]!.includes('`'))) {
          open = { openStart: pos, codeStart: next, openerLine: line, fence: match[2]!, indent: match[1]! };
        }
      } else {
        const match = CLOSER.exec(line);
        if (match && match[1]![0] === open.fence[0] && match[1]!.length >= open.fence.length) {
          fences.push({
            openStart: open.openStart,
            codeStart: open.codeStart,
            codeEnd: pos,
            closeEnd: next,
            closed: true,
            openerLine: open.openerLine,
            closer: open.indent + open.fence,
          });
          open = null;
        }
      }
    }
    pos = next;
  }
  if (open) {
    fences.push({
      openStart: open.openStart,
      codeStart: open.codeStart,
      codeEnd: text.length,
      closeEnd: text.length,
      closed: false,
      openerLine: open.openerLine,
      closer: open.indent + open.fence,
    });
  }
  return fences;
}

/**
 * For display while streaming: a snapshot that ends inside a code fence gets a closing fence line
 * appended, so the half-written answer does not leave the rest of the message (or a status marker
 * after it) swallowed by an open code block. The original text is not changed anywhere else.
 */
export function closeOpenMarkdown(text: string): string {
  const last = findCodeFences(text).at(-1);
  if (!last || last.closed) return text;
  return `${text}${text.endsWith('\n') ? '' : '\n'}${last.closer}`;
}

/** Splits `text` into message texts each at most `maxLength` UTF-16 code units long. */
export function splitMessage(text: string, maxLength: number): string[] {
  return splitMessageChunks(text, maxLength).map((chunk) => chunk.text);
}

/**
 * Like `splitMessage`, but tells which fence lines were added to each chunk. An empty text gives
 * no chunks. Throws a RangeError when `maxLength` is below 2 (a surrogate pair must fit).
 */
export function splitMessageChunks(text: string, maxLength: number): MessageChunk[] {
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new RangeError(`maxLength must be a whole number of at least 2, got ${maxLength}`);
  }
  if (text.length === 0) return [];
  if (text.length <= maxLength) return [{ text, reopen: '', body: text, close: '' }];

  const fences = findCodeFences(text);
  const boundaries = new GraphemeBoundaries(text);
  const chunks: MessageChunk[] = [];
  let start = 0;
  while (start < text.length) {
    const openAtStart = start > 0 ? fenceAround(fences, start) : undefined;
    let reopen = openAtStart ? `${openAtStart.openerLine}\n` : '';
    // A fence line as long as half a message (an absurd info string) is not worth repeating.
    if (reopen.length > maxLength / 2) reopen = '';
    const room = maxLength - reopen.length;
    if (text.length - start <= room) {
      const body = text.slice(start);
      chunks.push({ text: reopen + body, reopen, body, close: '' });
      break;
    }
    let limit = start + room;
    let cut = start;
    let close = '';
    for (let attempt = 0; ; attempt++) {
      cut = adjustAroundFences(fences, start, chooseCut(text, start, limit, boundaries), start + room);
      const openAtCut = fenceAround(fences, cut);
      close = openAtCut ? `${text[cut - 1] === '\n' ? '' : '\n'}${openAtCut.closer}` : '';
      if (reopen.length + (cut - start) + close.length <= maxLength) break;
      const shorter = start + maxLength - reopen.length - close.length;
      if (attempt >= 4 || shorter - start < 2) {
        // Not enough room for code and a closing fence: send the code unfenced rather than overflow.
        close = '';
        cut = chooseCut(text, start, Math.min(limit, start + room), boundaries);
        break;
      }
      limit = Math.min(limit - 1, shorter);
    }
    const body = text.slice(start, cut);
    chunks.push({ text: reopen + body + close, reopen, body, close });
    start = cut;
  }
  return chunks;
}

/** The fence whose code contains position `index` (so a cut there leaves it open), if any. */
function fenceAround(fences: CodeFence[], index: number): CodeFence | undefined {
  for (const fence of fences) {
    if (fence.codeStart > index) return undefined;
    if (index <= fence.codeEnd) return fence;
  }
  return undefined;
}

/**
 * Avoids the two cuts that would produce an empty code block: right after an opening fence line
 * (cut before the opener instead) and right before a closing one (take the closer along if it fits).
 */
function adjustAroundFences(fences: CodeFence[], start: number, cut: number, maxCut: number): number {
  for (const fence of fences) {
    if (cut === fence.codeStart && fence.openStart > start) return fence.openStart;
    if (fence.closed && cut === fence.codeEnd && fence.closeEnd <= maxCut) return fence.closeEnd;
  }
  return cut;
}

/**
 * Picks where a chunk starting at `start` ends, at most at `limit`: after a blank line in the
 * second half of the window, else after a line break or a space in its last 70%, else after any
 * line break or space, else a hard cut at the last grapheme boundary.
 */
function chooseCut(text: string, start: number, limit: number, boundaries: GraphemeBoundaries): number {
  const span = limit - start;
  const paragraph = text.lastIndexOf('\n\n', limit - 2);
  if (paragraph >= start && paragraph + 2 > start + span * 0.5) return paragraph + 2;
  const line = text.lastIndexOf('\n', limit - 1);
  const lineCut = line >= start ? line + 1 : -1;
  if (lineCut > start + span * 0.3) return lineCut;
  let space = text.lastIndexOf(' ', limit - 1);
  // Text after a cut starts a line in the next message: "```" there would open a code block that
  // was never one, so skip spaces followed by a fence-like run.
  for (let tries = 0; space >= start && tries < 16 && looksLikeFence(text, space + 1); tries++) {
    space = space > start ? text.lastIndexOf(' ', space - 1) : -1;
  }
  // A space followed by a combining mark is part of a grapheme: move back to its start.
  const spaceCut = space >= start ? boundaries.atOrBefore(space + 1) : -1;
  if (spaceCut > start + span * 0.3) return spaceCut;
  if (lineCut > start) return lineCut;
  if (spaceCut > start) return spaceCut;
  let hard = boundaries.atOrBefore(limit);
  for (let tries = 0; hard > start + 1 && tries < 16 && looksLikeFence(text, hard); tries++) {
    hard = boundaries.atOrBefore(hard - 1);
  }
  if (hard > start) return hard;
  // One grapheme longer than the whole chunk (e.g. a long run of combining marks): cut between
  // code points, never inside a surrogate pair.
  return isHighSurrogate(text.charCodeAt(limit - 1)) && limit - 1 > start ? limit - 1 : limit;
}

function looksLikeFence(text: string, index: number): boolean {
  let i = index;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return text.startsWith('```', i) || text.startsWith('~~~', i);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Grapheme cluster boundaries of one text, computed lazily (most cuts are at line breaks). */
class GraphemeBoundaries {
  private segments: Intl.Segments | undefined;

  constructor(private readonly text: string) {}

  /** The largest grapheme boundary at or before `index`. */
  atOrBefore(index: number): number {
    if (index <= 0 || index >= this.text.length) return index;
    this.segments ??= segmenter.segment(this.text);
    const containing = this.segments.containing(index);
    return containing ? containing.index : index;
  }
}
