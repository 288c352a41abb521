/**
 * Turns the short source ids a summary cites (`[m3]`, `[m3, m7]`) into links to the real messages,
 * while the answer streams. Only ids the summarizer handed out become links; any other id the model
 * writes is dropped, so a link in a summary always points at a message that was summarized.
 */
import type { ContentTransform } from './types.js';

/** How one citation is written on a platform: `label` is the id's number, `link` the message URL. */
export type CitationFormat = (label: string, link: string) => string;

/** A Markdown link, `[3](https://…)`: Discord (and the Markdown-to-mrkdwn step on Slack) render it. */
export const markdownCitation: CitationFormat = (label, link) => `[${label}](${link})`;

/** A complete citation: one or more ids, comma-separated, in square brackets. */
const CITATION = /\[(m\d+(?:\s*,\s*m\d+)*)\]/g;
/** What the start of a citation looks like before its `]` arrives. */
const PARTIAL_CITATION = /^\[(?:m\d*(?:\s*,\s*(?:m\d*)?)*)?$/;
/** A `[` followed by more than this is ordinary text, whatever comes next. */
const MAX_HELD_CHARS = 200;

/**
 * A `ContentTransform` for one summary's answer. A trailing `[m1…` that has not closed yet is held
 * back until its `]` (or anything that is not a citation) arrives, so the shown text only grows.
 */
export class CitationLinker implements ContentTransform {
  private held = '';
  /** The text returned so far ends with a citation link: the next adjacent one gets a space. */
  private endsWithLink = false;

  constructor(
    private readonly links: ReadonlyMap<string, string>,
    private readonly format: CitationFormat = markdownCitation,
  ) {}

  push(delta: string): string {
    const text = this.held + delta;
    const open = text.lastIndexOf('[');
    const tail = open < 0 ? '' : text.slice(open);
    const holdBack = open >= 0 && tail.length <= MAX_HELD_CHARS && PARTIAL_CITATION.test(tail);
    this.held = holdBack ? tail : '';
    return this.link(holdBack ? text.slice(0, open) : text);
  }

  end(): string {
    const rest = this.held;
    this.held = '';
    // A citation that never closed is not one: it is shown as the model wrote it, never as a link.
    return this.link(rest);
  }

  /** Replaces every complete citation in `text`, which holds no partial one at its end. */
  private link(text: string): string {
    let out = '';
    let from = 0;
    for (const match of text.matchAll(CITATION)) {
      const before = text.slice(from, match.index);
      if (before) this.endsWithLink = false;
      out += before;
      const links = match[1]!
        .split(',')
        .map((id) => id.trim())
        .filter((id) => this.links.has(id))
        .map((id) => this.format(id.slice(1), this.links.get(id)!));
      for (const rendered of links) {
        // Two links side by side would read as one number ("37"): keep them apart.
        out += this.endsWithLink ? ` ${rendered}` : rendered;
        this.endsWithLink = true;
      }
      from = match.index + match[0].length;
    }
    const rest = text.slice(from);
    if (rest) this.endsWithLink = false;
    return out + rest;
  }
}
