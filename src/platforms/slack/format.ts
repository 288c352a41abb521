/**
 * Markdown from the model → Slack mrkdwn. Slack has `*bold*`, `_italic_`, `~strike~`, `<url|text>`,
 * `>` quotes and code, but no headings, tables or `**`: those are converted here so a user never
 * sees stray asterisks or hashes. `&`, `<` and `>` are Slack's control characters and are escaped
 * everywhere, which also keeps model output from pinging `<!channel>` or users.
 * Code fences and spans keep their content untouched (only escaped); a fence still open in a
 * streaming snapshot is closed so the rest of the message is not swallowed. See
 * https://docs.slack.dev/messaging/formatting-message-text and ../shared/docs/platforms.md.
 */
import { findCodeFences } from '../../engine/split.js';

/** Slack's three control characters, escaped as Slack asks. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Converts a whole Markdown answer (or a streaming snapshot of one) to mrkdwn. */
export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let pos = 0;
  for (const fence of findCodeFences(markdown)) {
    out.push(formatProse(markdown.slice(pos, fence.openStart)));
    // Slack shows a language tag as a first line of code: keep only the fence itself.
    const code = markdown.slice(fence.codeStart, fence.codeEnd).replace(/\n$/, '');
    const trailing = fence.closed && markdown.slice(fence.codeEnd, fence.closeEnd).endsWith('\n') ? '\n' : '';
    out.push(`\`\`\`\n${escapeSlackText(code)}\n\`\`\`${trailing}`);
    pos = fence.closeEnd;
  }
  out.push(formatProse(markdown.slice(pos)));
  return out.join('');
}

const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$/;

/** Everything outside code fences, line by line (headings, lists, quotes and tables are per line). */
function formatProse(text: string): string {
  if (!text) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    // A Markdown table (header row + separator row) has no mrkdwn form: show it monospaced.
    if (line.trim().startsWith('|') && TABLE_SEPARATOR.test(lines[index + 1] ?? '')) {
      const rows: string[] = [];
      while (index < lines.length && lines[index]!.trim().startsWith('|')) {
        if (!TABLE_SEPARATOR.test(lines[index]!)) rows.push(lines[index]!.trim());
        index++;
      }
      index--;
      out.push(`\`\`\`\n${escapeSlackText(rows.join('\n'))}\n\`\`\``);
      continue;
    }
    out.push(formatLine(line));
  }
  return out.join('\n');
}

function formatLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) {
    const title = heading[1]!.replace(/\*\*|__/g, '');
    return title ? `*${formatInline(title)}*` : '';
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return '──────────';
  const quote = /^(\s*)>\s?(.*)$/.exec(line);
  if (quote) return `> ${formatLine(quote[2]!)}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) {
    const depth = Math.floor(bullet[1]!.replace(/\t/g, '  ').length / 2);
    const item = bullet[2]!.replace(/^\[ \]\s+/, '☐ ').replace(/^\[[xX]\]\s+/, '☑ ');
    return `${'    '.repeat(depth)}${depth > 0 ? '◦' : '•'} ${formatInline(item)}`;
  }
  const numbered = /^(\s*)(\d{1,9})[.)]\s+(.*)$/.exec(line);
  if (numbered) {
    const depth = Math.floor(numbered[1]!.replace(/\t/g, '  ').length / 2);
    return `${'    '.repeat(depth)}${numbered[2]}. ${formatInline(numbered[3]!)}`;
  }
  return formatInline(line);
}

// Private-use characters never appear in model text; they mark protected pieces and bold markers.
const HOLD_OPEN = '\uE000';
const HOLD_CLOSE = '\uE001';
const BOLD = '\uE002';

/** Inline Markdown of one line: code spans, links, bold, italics, strikethrough. */
export function formatInline(text: string): string {
  const held: string[] = [];
  const hold = (value: string) => {
    held.push(value);
    return `${HOLD_OPEN}${held.length - 1}${HOLD_CLOSE}`;
  };

  let result = text
    // Code spans first: nothing inside them is Markdown.
    .replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_all, _ticks: string, code: string) =>
      hold(`\`${escapeSlackText(code.trim() || code)}\``),
    )
    // Images and links: ![alt](url) and [text](url "title").
    .replace(/!?\[([^\]\n]*)\]\((\S+?)(?:\s+"[^"]*")?\)/g, (_all, label: string, url: string) =>
      /^(https?:|mailto:)/i.test(url)
        ? hold(`<${escapeSlackText(url)}|${escapeSlackText(label.replace(/[|*_~`]/g, '') || url)}>`)
        : _all,
    )
    // Autolinks <https://…>.
    .replace(/<((?:https?|mailto):[^\s>]+)>/gi, (_all, url: string) => hold(`<${escapeSlackText(url)}>`));

  result = escapeSlackText(result)
    .replace(/\*\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*\*/g, `${BOLD}_$1_${BOLD}`)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `$1${BOLD}$2${BOLD}`)
    .replace(/(^|[^\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, '$1_$2_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    // A `**` left unpaired (a streaming snapshot that has not closed its bold yet) would show as-is.
    .replace(/\*\*+/g, '')
    .replaceAll(BOLD, '*');

  return result.replace(new RegExp(`${HOLD_OPEN}(\\d+)${HOLD_CLOSE}`, 'g'), (_all, index: string) => {
    return held[Number(index)] ?? '';
  });
}
