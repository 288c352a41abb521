/**
 * Autocomplete for the model options (`/model name`, `/ask model`): the allowed models that
 * contain what was typed, those that start with it first, at most Discord's 25. A user the access
 * lists refuse is offered nothing (the command itself then explains why).
 */
import type { AutocompleteInteraction } from 'discord.js';
import { OPTION } from './commands.js';
import { refusalFor } from './interaction-access.js';
import type { DiscordTurnRunner } from './turns.js';

/** Discord shows at most 25 autocomplete choices. */
export const MAX_AUTOCOMPLETE_CHOICES = 25;

/** The options whose value is a model name, per command. */
const MODEL_OPTIONS: Record<string, string> = { model: OPTION.name, ask: OPTION.model };

/** Allowed models matching `typed` (case-insensitive), prefix matches first, in configured order. */
export function matchingModels(
  models: readonly string[],
  typed: string,
  max = MAX_AUTOCOMPLETE_CHOICES,
): string[] {
  const needle = typed.trim().toLowerCase();
  const prefixed = models.filter((model) => model.toLowerCase().startsWith(needle));
  const containing = models.filter(
    (model) => !model.toLowerCase().startsWith(needle) && model.toLowerCase().includes(needle),
  );
  return [...prefixed, ...containing].slice(0, max);
}

/** Answers one autocomplete interaction (always answers: Discord shows "loading" otherwise). */
export async function answerAutocomplete(
  interaction: AutocompleteInteraction,
  deps: { allowedModels: readonly string[]; runner: DiscordTurnRunner },
): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const isModelOption = MODEL_OPTIONS[interaction.commandName] === focused.name;
  if (!isModelOption || (await refusalFor(deps.runner, interaction))) {
    await interaction.respond([]);
    return;
  }
  const models = matchingModels(deps.allowedModels, String(focused.value));
  await interaction.respond(models.map((model) => ({ name: model, value: model })));
}
