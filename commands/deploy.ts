/**
 * `npm run commands:deploy`: registers the slash commands of commands/discord-commands.ts.
 * With DISCORD_GUILD_ID they go to that one guild and appear at once (for development); without it
 * they are global, which Discord can take up to an hour to show everywhere.
 * Reads the same configuration as the bot (.env), so DISCORD_API_URL works here too.
 */
import { REST, Routes } from 'discord.js';
import { loadConfig, loadDotEnv } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { discordCommands } from './discord-commands.js';

export interface DeployResult {
  scope: 'global' | 'guild';
  count: number;
}

/** Registers the commands with one bulk overwrite (PUT), replacing whatever was registered before. */
export async function deployDiscordCommands(options: {
  token: string;
  apiUrl?: string;
  guildId?: string;
}): Promise<DeployResult> {
  const rest = new REST({ ...(options.apiUrl ? { api: options.apiUrl } : {}) }).setToken(options.token);
  try {
    const application = (await rest.get(Routes.currentApplication())) as { id: string };
    const body = discordCommands();
    const route = options.guildId
      ? Routes.applicationGuildCommands(application.id, options.guildId)
      : Routes.applicationCommands(application.id);
    const registered = (await rest.put(route, { body })) as unknown[];
    return { scope: options.guildId ? 'guild' : 'global', count: registered.length };
  } finally {
    // The REST client keeps a sweeper timer; clear it so the script exits.
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  if (!config.discord)
    throw new ConfigError('DISCORD_TOKEN', 'DISCORD_TOKEN is required to deploy commands.');
  const result = await deployDiscordCommands({
    token: config.discord.token,
    ...(config.discord.apiUrl ? { apiUrl: config.discord.apiUrl } : {}),
    ...(config.discord.guildId ? { guildId: config.discord.guildId } : {}),
  });
  console.log(
    result.scope === 'guild'
      ? `Registered ${result.count} commands in guild ${config.discord.guildId} (visible now).`
      : `Registered ${result.count} global commands (Discord may take up to an hour to show them).`,
  );
}

// Run only as a script, so tests can import deployDiscordCommands.
if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `Deploy failed: ${(error as Error).message}`,
    );
    process.exit(1);
  });
}
