/**
 * How the model's Markdown reaches Slack: as Slack's own `markdown` block, which renders standard
 * Markdown (bold, links whose URLs hold parentheses, lists, headings, code) the way the model wrote
 * it, so nothing is converted by hand. What is done here is only what Slack does not do for us:
 * - pings: `<!channel>`, `<!here>`, `<@U…>` and `<#C…>` in model output must stay plain text;
 * - tables: the markdown block shows a Markdown table as raw pipes, so it becomes a code block;
 * - limits: a message's markdown blocks hold at most 12,000 characters between them;
 * - the `text` of a message (notifications, screen readers) is plain, escaped text.
 * See https://docs.slack.dev/reference/block-kit/blocks/markdown-block.
 */
import type { types } from '@slack/bolt';
import { findCodeFences } from '../../engine/split.js';
import type { Logger } from '../../log.js';

/** Slack refuses a message whose markdown blocks hold more than this many characters together. */
export const MARKDOWN_BLOCKS_LIMIT = 12_000;
/**
 * The renderer splits answers shown as markdown blocks at this length; ping guards and table
 * fences can lengthen a part a little, which the headroom up to the limit absorbs.
 */
export const MARKDOWN_MESSAGE_LENGTH = 11_000;
/** Slack refuses a message `text` near 4,000 characters (msg_too_long): the fallback is cut here. */
export const NOTIFICATION_TEXT_CEILING = 3_990;

/** A message's visible content: the markdown block(s) and the plain fallback for notifications. */
export interface SlackMessageContent {
  text: string;
  blocks: types.KnownBlock[];
}

/** The message content showing `markdown`. */
export function markdownMessage(markdown: string, logger?: Logger): SlackMessageContent {
  return { text: notificationText(markdown), blocks: markdownBlocks(markdown, logger) };
}

/** The markdown block(s) showing `markdown`, within Slack's limit (cut, with a warning, if over). */
export function markdownBlocks(markdown: string, logger?: Logger): types.MarkdownBlock[] {
  let text = withoutPings(tablesAsCode(markdown));
  if (text.length > MARKDOWN_BLOCKS_LIMIT) {
    logger?.warn({ length: text.length }, 'Slack markdown over the block limit; cutting it');
    text = `${text.slice(0, MARKDOWN_BLOCKS_LIMIT - 1)}…`;
  }
  // Slack refuses a markdown block without text.
  return [{ type: 'markdown', text: /\S/.test(text) ? text : '…' }];
}

/** The plain `text` of a message: escaped, so it neither formats nor pings, and short enough. */
export function notificationText(markdown: string): string {
  const escaped = escapeSlackText(markdown.trim() || '…');
  return escaped.length <= NOTIFICATION_TEXT_CEILING
    ? escaped
    : `${escaped.slice(0, NOTIFICATION_TEXT_CEILING - 1)}…`;
}

/** Slack's three control characters in mrkdwn and plain text, escaped as Slack asks. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Model output must never ping: Slack reads `<!channel>`, `<!here>`, `<@U…>` and `<#C…>` in
 * markdown too, so a zero-width space after the `<` keeps them as plain text. The change sits
 * right after the `<`, so the result of a prefix is a prefix of the result: stream appends stay appends.
 */
export function withoutPings(markdown: string): string {
  return markdown.replace(/<(?=[!@#])/g, '<\u200B');
}

const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$/;

/** Markdown tables outside code fences, as code blocks (header and rows, without the separator row). */
export function tablesAsCode(markdown: string): string {
  const out: string[] = [];
  let pos = 0;
  for (const fence of findCodeFences(markdown)) {
    out.push(
      tablesInProse(markdown.slice(pos, fence.openStart)),
      markdown.slice(fence.openStart, fence.closeEnd),
    );
    pos = fence.closeEnd;
  }
  out.push(tablesInProse(markdown.slice(pos)));
  return out.join('');
}

function tablesInProse(text: string): string {
  if (!text.includes('|')) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!(line.trim().startsWith('|') && TABLE_SEPARATOR.test(lines[index + 1] ?? ''))) {
      out.push(line);
      continue;
    }
    const rows: string[] = [];
    while (index < lines.length && lines[index]!.trim().startsWith('|')) {
      if (!TABLE_SEPARATOR.test(lines[index]!)) rows.push(lines[index]!.trim());
      index++;
    }
    index--;
    out.push(`\`\`\`\n${rows.join('\n')}\n\`\`\``);
  }
  return out.join('\n');
}
