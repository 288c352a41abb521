/**
 * Start-up registration of the bot's commands (commands/discord-commands.ts). Discord allows only
 * 200 command creates a day per scope, so a restart must not re-register what is already there:
 * the current commands are read, both sides are normalised (Discord fills in defaults such as
 * `type: 1`, `integration_types: [0]` and drops `required: false`) and compared, and the list is
 * bulk-overwritten only when they differ. A refusal is one warning; the bot runs on regardless.
 */
import {
  type APIApplicationCommand,
  type APIApplicationCommandOption,
  type ClientOptions,
  DiscordAPIError,
  RateLimitError,
  type REST,
  type RESTPutAPIApplicationCommandsJSONBody,
  Routes,
} from 'discord.js';
import type { Logger } from '../../log.js';

/** A definition as the bot writes it or as Discord returns it. */
type CommandLike = RESTPutAPIApplicationCommandsJSONBody[number] | APIApplicationCommand;
type OptionLike = APIApplicationCommandOption;

/** Localization maps: `null`, `{}` and absent all mean "none". */
function localizations(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Object.keys(value).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(value as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)),
  );
}

function sortedNumbers(value: unknown): number[] | undefined {
  return Array.isArray(value) ? [...value].map(Number).sort((a, b) => a - b) : undefined;
}

/** One option in a fixed key order with Discord's defaults made explicit. */
function normalizeOption(option: OptionLike): Record<string, unknown> {
  const o = option as OptionLike & Record<string, unknown>;
  return {
    type: o.type,
    name: o.name,
    name_localizations: localizations(o.name_localizations),
    description: o.description ?? '',
    description_localizations: localizations(o.description_localizations),
    required: o.required === true,
    autocomplete: o.autocomplete === true,
    choices: Array.isArray(o.choices)
      ? o.choices.map((c: { name: string; value: unknown; name_localizations?: unknown }) => ({
          name: c.name,
          name_localizations: localizations(c.name_localizations),
          value: c.value,
        }))
      : undefined,
    channel_types: sortedNumbers(o.channel_types),
    min_value: o.min_value,
    max_value: o.max_value,
    min_length: o.min_length,
    max_length: o.max_length,
    options: Array.isArray(o.options) ? (o.options as OptionLike[]).map(normalizeOption) : undefined,
  };
}

/**
 * A command reduced to what the bot controls, in a fixed key order. Guild commands carry no
 * `integration_types` or `contexts` (Discord keeps them for global commands only).
 */
export function normalizeCommand(command: CommandLike, scope: 'global' | 'guild'): Record<string, unknown> {
  const c = command as CommandLike & Record<string, unknown>;
  const permissions = c.default_member_permissions;
  return {
    type: c.type ?? 1,
    name: c.name,
    name_localizations: localizations(c.name_localizations),
    description: c.description ?? '',
    description_localizations: localizations(c.description_localizations),
    default_member_permissions:
      permissions === null || permissions === undefined ? null : String(permissions),
    nsfw: c.nsfw === true,
    integration_types: scope === 'global' ? (sortedNumbers(c.integration_types) ?? [0]) : undefined,
    contexts: scope === 'global' ? (sortedNumbers(c.contexts) ?? null) : undefined,
    options: ((c.options as OptionLike[] | undefined) ?? []).map(normalizeOption),
  };
}

/** True when two command lists register the same commands (order does not matter). */
export function sameCommands(a: CommandLike[], b: CommandLike[], scope: 'global' | 'guild'): boolean {
  const canonical = (list: CommandLike[]) =>
    list
      .map((command) => JSON.stringify(normalizeCommand(command, scope)))
      .sort()
      .join('\n');
  return a.length === b.length && canonical(a) === canonical(b);
}

/** Whether this client runs shard 0 (the one shard that registers, when the bot is sharded). */
export function holdsShardZero(shards: ClientOptions['shards']): boolean {
  if (shards === undefined || shards === 'auto') return true;
  return typeof shards === 'number' ? shards === 0 : shards.includes(0);
}

export interface RegisterCommandsOptions {
  rest: REST;
  applicationId: string;
  /** Register in this guild (instant, for development); global otherwise. */
  guildId: string | undefined;
  definitions: RESTPutAPIApplicationCommandsJSONBody;
  logger: Logger;
}

export interface RegisterCommandsResult {
  scope: 'global' | 'guild';
  changed: boolean;
  count: number;
}

/**
 * Reads the registered commands and overwrites them only when they differ from `definitions`.
 * Logs one line either way; resolves undefined (after one warning) when Discord refuses.
 */
export async function registerCommands(
  options: RegisterCommandsOptions,
): Promise<RegisterCommandsResult | undefined> {
  const scope = options.guildId ? 'guild' : 'global';
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const where = { scope, ...(options.guildId ? { guildId: options.guildId } : {}) };
  try {
    const current = (await options.rest.get(route)) as APIApplicationCommand[];
    const changed = !sameCommands(current, options.definitions, scope);
    if (changed) await options.rest.put(route, { body: options.definitions });
    const count = options.definitions.length;
    options.logger.info(
      { ...where, changed, count },
      changed ? 'Discord slash commands registered' : 'Discord slash commands already up to date',
    );
    return { scope, changed, count };
  } catch (error) {
    // The error's request body is the definitions (noise); its code and message say why.
    const reason =
      error instanceof DiscordAPIError
        ? { status: error.status, code: error.code, reason: error.message }
        : error instanceof RateLimitError
          ? { status: 429, retryAfterMs: error.retryAfter, reason: 'rate limited (the daily command limit?)' }
          : { reason: (error as Error).message };
    options.logger.warn(
      { ...where, ...reason },
      'could not register the Discord slash commands (the bot runs on; `npm run commands:deploy` retries)',
    );
    return undefined;
  }
}
