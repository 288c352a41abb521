/**
 * Keeps a request under the history budget: at most `maxTurns` turns and `maxChars` characters,
 * dropping the oldest first. The system prompt is not part of the history and is always kept;
 * the newest turn (the prompt being answered) is always kept, however long.
 */
import type { Turn } from '../store/types.js';

export interface HistoryBudget {
  maxTurns: number;
  maxChars: number;
}

/** Characters a turn is charged: its text plus a flat cost per attachment reference. */
const ATTACHMENT_COST = 200;

export function turnCost(turn: Turn): number {
  return turn.text.length + turn.attachments.length * ATTACHMENT_COST;
}

/**
 * Returns the newest suffix of `turns` that fits the budget. The result never starts with an
 * assistant turn: an answer without its question confuses the model more than it helps.
 */
export function fitHistory(turns: Turn[], budget: HistoryBudget): Turn[] {
  if (turns.length === 0) return [];
  let start = turns.length - 1;
  let chars = turnCost(turns[start]!);
  while (start > 0) {
    const next = turns[start - 1]!;
    const count = turns.length - start + 1;
    if (count > budget.maxTurns || chars + turnCost(next) > budget.maxChars) break;
    chars += turnCost(next);
    start -= 1;
  }
  while (start < turns.length - 1 && turns[start]!.role === 'assistant') start += 1;
  return turns.slice(start);
}
