/**
 * The bot's Discord slash commands, as registered by `npm run commands:deploy` (commands/deploy.ts).
 * The handlers live in src/platforms/discord/commands.ts and match these by name and option name;
 * test/platforms/discord checks that every command here has a handler.
 */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';
import { OPTION } from '../src/platforms/discord/commands.js';

/** Option names shared by the definitions and the handlers (src/platforms/discord/commands.ts). */
export { OPTION };

/** Every command definition (model options autocomplete from ALLOWED_MODELS at run time). */
export function discordCommands(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const everywhere = (builder: SlashCommandBuilder) =>
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
    everywhere(new SlashCommandBuilder().setName('chat').setDescription('Open a thread to talk with Gemini'))
      .addStringOption((o) => o.setName(OPTION.prompt).setDescription('The first message').setMaxLength(4000))
      .toJSON(),
    everywhere(
      new SlashCommandBuilder()
        .setName('model')
        .setDescription('Show or set the model for this channel or thread'),
    )
      .addStringOption((o) =>
        o.setName(OPTION.name).setDescription('The model to use here').setAutocomplete(true),
      )
      .toJSON(),
    everywhere(
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
    everywhere(
      new SlashCommandBuilder().setName('reset').setDescription("Forget this thread's history"),
    ).toJSON(),
    everywhere(
      new SlashCommandBuilder().setName('stop').setDescription('Stop the answer being written here'),
    ).toJSON(),
    everywhere(
      new SlashCommandBuilder().setName('usage').setDescription('Tokens used here and by you'),
    ).toJSON(),
    everywhere(new SlashCommandBuilder().setName('help').setDescription('How to use this bot')).toJSON(),
  ];
}
