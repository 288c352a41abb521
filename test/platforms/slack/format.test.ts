import { describe, expect, it } from 'vitest';
import { markdownToMrkdwn } from '../../../src/platforms/slack/format.js';

describe('Markdown → Slack mrkdwn', () => {
  it('turns **bold**, *italic*, ***both*** and ~~strike~~ into Slack marks', () => {
    expect(markdownToMrkdwn('This is **bold**, *italic*, ***both*** and ~~gone~~.')).toBe(
      'This is *bold*, _italic_, *_both_* and ~gone~.',
    );
    expect(markdownToMrkdwn('__also bold__ and _still italic_')).toBe('*also bold* and _still italic_');
  });

  it('turns headings into bold lines without hashes or nested asterisks', () => {
    expect(markdownToMrkdwn('# Title\n## The **real** plan ##\ntext')).toBe('*Title*\n*The real plan*\ntext');
  });

  it('turns links and images into <url|text>', () => {
    expect(markdownToMrkdwn('See [the docs](https://example.com/a?b=1&c=2) or <https://x.io>.')).toBe(
      'See <https://example.com/a?b=1&amp;c=2|the docs> or <https://x.io>.',
    );
    expect(markdownToMrkdwn('![a cat](https://img.example/cat.png)')).toBe(
      '<https://img.example/cat.png|a cat>',
    );
  });

  it('turns bullet, nested and numbered lists into Slack-friendly lines', () => {
    expect(markdownToMrkdwn('- one\n* two with **bold**\n  - nested\n1. first\n2) second\n- [x] done')).toBe(
      '• one\n• two with *bold*\n    ◦ nested\n1. first\n2. second\n• ☑ done',
    );
  });

  it('keeps block quotes as quotes and formats inside them', () => {
    expect(markdownToMrkdwn('> quoted **text**\n>\n> - item')).toBe('> quoted *text*\n> \n> • item');
  });

  it('leaves code spans and fences intact apart from escaping, and drops the language tag', () => {
    const markdown = 'Run `a **b** <c>` then:\n```ts\nconst x = a && b ? **y** : *z*;\n```\nDone **now**';
    expect(markdownToMrkdwn(markdown)).toBe(
      'Run `a **b** &lt;c&gt;` then:\n```\nconst x = a &amp;&amp; b ? **y** : *z*;\n```\nDone *now*',
    );
  });

  it('closes a fence still open in a streaming snapshot', () => {
    expect(markdownToMrkdwn('Here:\n```py\nprint(1)')).toBe('Here:\n```\nprint(1)\n```');
  });

  it('leaves no stray asterisks from a bold that has not closed yet', () => {
    const out = markdownToMrkdwn('The answer is **very impor');
    expect(out).toBe('The answer is very impor');
    expect(out).not.toContain('*');
  });

  it('does not touch arithmetic or intraword asterisks and underscores', () => {
    expect(markdownToMrkdwn('2 * 3 = 6 and snake_case_name')).toBe('2 * 3 = 6 and snake_case_name');
  });

  it('escapes &, < and > so model output cannot ping <!channel> or users', () => {
    expect(markdownToMrkdwn('Tom & Jerry <!channel> <@U123> a < b > c')).toBe(
      'Tom &amp; Jerry &lt;!channel&gt; &lt;@U123&gt; a &lt; b &gt; c',
    );
  });

  it('shows a Markdown table monospaced instead of as pipes and dashes', () => {
    expect(markdownToMrkdwn('| a | b |\n|---|:-:|\n| 1 | 2 |\nafter')).toBe(
      '```\n| a | b |\n| 1 | 2 |\n```\nafter',
    );
  });

  it('turns horizontal rules into a line', () => {
    expect(markdownToMrkdwn('above\n---\nbelow')).toBe('above\n──────────\nbelow');
  });
});
