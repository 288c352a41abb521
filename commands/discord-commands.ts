/**
 * The bot's Discord commands, registered by the bot at start-up when Discord's differ
 * (src/platforms/discord/register-commands.ts) or by `npm run commands:deploy` (commands/deploy.ts).
 * The handlers live in src/platforms/discord/commands.ts (slash) and message-commands.ts (context
 * menu) and match these by name and option name; test/platforms/discord checks that every command
 * here has a handler.
 *
 * Commands that work without the bot in the server carry both install types (a server install, or
 * a user who installed the app to their own account) and every context; those that need the bot
 * there (threads, channel settings, running answers) are for server installs only: in servers, and
 * for /model, /reset and /stop also in the bot's own DM (a conversation the bot hosts).
 */
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RESTPostAPIContextMenuApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';
import { OPTION } from '../src/platforms/discord/commands.js';
import { MESSAGE_COMMAND } from '../src/platforms/discord/message-commands.js';
import { SUMMARY_DEFAULT_MESSAGES, SUMMARY_MAX_MESSAGES } from '../src/platforms/discord/summaries.js';

/** Option names shared by the definitions and the handlers (src/platforms/discord/commands.ts). */
export { OPTION };

/** Every command: the slash commands, then the message context-menu commands. */
export function discordCommands(): Array<
  RESTPostAPIChatInputApplicationCommandsJSONBody | RESTPostAPIContextMenuApplicationCommandsJSONBody
> {
  return [...slashCommands(), ...messageCommands()];
}

/** Usable wherever the user is: servers with or without the bot, its DM, group DMs. */
const ANY_INSTALL = [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall];
const ANY_CONTEXT = [
  InteractionContextType.Guild,
  InteractionContextType.BotDM,
  InteractionContextType.PrivateChannel,
];

/** The message context-menu commands (Apps → …); Discord allows 5 per application. */
export function messageCommands(): RESTPostAPIContextMenuApplicationCommandsJSONBody[] {
  return Object.values(MESSAGE_COMMAND).map((name: string) =>
    new ContextMenuCommandBuilder()
      .setName(name)
      .setType(ApplicationCommandType.Message)
      .setIntegrationTypes(ANY_INSTALL)
      .setContexts(ANY_CONTEXT)
      .toJSON(),
  );
}

/** The slash commands (model options autocomplete from ALLOWED_MODELS at run time). */
export function slashCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const everywhere = (builder: SlashCommandBuilder) =>
    builder.setContexts(ANY_CONTEXT).setIntegrationTypes(ANY_INSTALL);
  // Threads, channel settings and running answers need the bot in the server.
  const inServer = (builder: SlashCommandBuilder) =>
    builder
      .setContexts(InteractionContextType.Guild)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);

  // A DM with the bot is a conversation the bot hosts: it can be reset, stopped and given a model
  // there too (still a server install only: a user install has no such DM of its own).
  const inServerOrBotDm = (builder: SlashCommandBuilder) =>
    builder
      .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
      .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);

  return [
    everywhere(new SlashCommandBuilder().setName('ask').setDescription('Ask Gemini one question'))
      .addStringOption((o) =>
        o.setName(OPTION.prompt).setDescription('Your question').setRequired(true).setMaxLength(4000),
      )
      .addAttachmentOption((o) => o.setName(OPTION.attachment).setDescription('An image or video to look at'))
      // Autocomplete (src/platforms/discord/autocomplete.ts) reaches every allowed model, not just 25.
      .addStringOption((o) =>
        o.setName(OPTION.model).setDescription('Model for this answer').setAutocomplete(true),
      )
      .addBooleanOption((o) => o.setName(OPTION.private).setDescription('Only you see the answer'))
      .toJSON(),
    inServer(new SlashCommandBuilder().setName('chat').setDescription('Open a thread to talk with Gemini'))
      .addStringOption((o) => o.setName(OPTION.prompt).setDescription('The first message').setMaxLength(4000))
      .toJSON(),
    inServerOrBotDm(
      new SlashCommandBuilder()
        .setName('model')
        .setDescription('Show or set the model for this channel or thread'),
    )
      .addStringOption((o) =>
        o.setName(OPTION.name).setDescription('The model to use here').setAutocomplete(true),
      )
      .toJSON(),
    inServer(
      new SlashCommandBuilder()
        .setName('system')
        .setDescription("Show, set or clear this channel's instructions for Gemini")
        .setDefaultMemberPermissions(PermissionFlagsBits.ManageChannels),
    )
      .addStringOption((o) =>
        o.setName(OPTION.prompt).setDescription('New instructions (system prompt)').setMaxLength(4000),
      )
      .addBooleanOption((o) => o.setName(OPTION.clear).setDescription('Go back to the default instructions'))
      .toJSON(),
    inServerOrBotDm(new SlashCommandBuilder().setName('reset').setDescription("Forget this thread's history"))
      .addBooleanOption((o) =>
        o
          .setName(OPTION.private)
          .setDescription('Forget your private /ask conversation in this channel instead'),
      )
      .toJSON(),
    inServerOrBotDm(
      new SlashCommandBuilder().setName('stop').setDescription('Stop the answer being written here'),
    ).toJSON(),
    everywhere(
      new SlashCommandBuilder().setName('usage').setDescription('Tokens used here and by you'),
    ).toJSON(),
    everywhere(new SlashCommandBuilder().setName('help').setDescription('How to use this bot')).toJSON(),
    // Reads this channel's history: without the bot in the server it answers that it needs the bot.
    everywhere(
      new SlashCommandBuilder()
        .setName('summarize')
        .setDescription('Catch up: a summary of the recent messages here, with links to them'),
    )
      .addIntegerOption((o) =>
        o
          .setName(OPTION.messages)
          .setDescription(`How many recent messages (default ${SUMMARY_DEFAULT_MESSAGES})`)
          .setMinValue(1)
          .setMaxValue(SUMMARY_MAX_MESSAGES),
      )
      .toJSON(),
  ];
}
