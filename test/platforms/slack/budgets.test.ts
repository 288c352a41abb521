/**
 * Spend budgets through the real Bolt receiver: /gemini-usage shows used and limit for the day and
 * the month (the caller's and the workspace's), the answer that crosses the workspace's limit says
 * so, and the next /ask is refused with the sentence that names the limit, without asking the model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommand } from '../../emulators/slack/payloads.js';
import { type SlackBot, startSlackBot } from './bot.js';

let bot: SlackBot;

beforeAll(async () => {
  bot = await startSlackBot({
    env: { BUDGET_USER_MONTHLY_TOKENS: '5000', BUDGET_SPACE_DAILY_TOKENS: '100' },
  });
  bot.slack.addUser({ id: 'UBUDGET', name: 'bea' });
  bot.slack.addUser({ id: 'UOTHER', name: 'olga' });
});
afterAll(async () => {
  await bot?.close();
});

const costing = (total: number) => ({
  content: ['Counted.'],
  usage: { prompt_tokens: 20, completion_tokens: total - 20, total_tokens: total },
});

/** Runs a command and returns the first response_url answer it caused. */
async function run(command: string, text: string, user: string) {
  const before = bot.slack.state.ephemerals.length;
  const sent = await bot.send.command(
    slashCommand({ command, text, user, channel: 'C900', responseUrl: bot.slack.responseUrl() }),
  );
  expect(sent.status).toBe(200);
  return bot.slack.waitFor(() =>
    bot.slack.state.ephemerals.slice(before).find((e) => e.via === 'response_url'),
  );
}

describe('spend budgets on Slack', () => {
  it('/gemini-usage shows used and limit, the crossing answer says so, the next /ask is refused', async () => {
    bot.upstream.enqueue(costing(60), costing(60));
    expect((await run('/ask', '--private one', 'UBUDGET')).text).toBe('Counted.');

    const usage = await run('/gemini-usage', '', 'UBUDGET');
    expect(usage.text).toContain('You, today (UTC): 60 tokens (no limit) · this month: 60 of 5,000 tokens');
    expect(usage.text).toContain(
      'This workspace, today (UTC): 60 of 100 tokens · this month: 60 tokens (no limit)',
    );

    // Another member spends from the same workspace budget, past its limit.
    const crossing = await run('/ask', '--private two', 'UOTHER');
    expect(crossing.text).toMatch(
      /^Counted\.\n\n_This answer used up this workspace's daily limit of 100 tokens; new questions wait until 00:00 UTC on /,
    );

    const requests = bot.upstream.requests.length;
    const refused = await run('/ask', '--private three', 'UBUDGET');
    expect(refused.responseType).toBe('ephemeral');
    expect(refused.text).toMatch(
      /^This workspace has used its daily limit of 100 tokens; it resets at 00:00 UTC on \d+ \w+ \d{4}\.$/,
    );
    expect(bot.upstream.requests).toHaveLength(requests);
  });
});
