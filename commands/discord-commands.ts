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

/** Discord allows at most 25 choices per option; more models are typed, then checked. */
const MAX_CHOICES = 25;

/** Option names shared by the definitions and the handlers (src/platforms/discord/commands.ts). */
export { OPTION };

/** Every command definition, with the model choices taken from configuration. */
export function discordCommands(models: string[]): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const choices = models.slice(0, MAX_CHOICES).map((model) => ({ name: model, value: model }));
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
      .addStringOption((o) => {
        o.setName(OPTION.model).setDescription('Model for this answer');
        return choices.length > 0 ? o.addChoices(...choices) : o;
      })
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
      .addStringOption((o) => {
        o.setName(OPTION.name).setDescription('The model to use here');
        return choices.length > 0 ? o.addChoices(...choices) : o;
      })
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
    everywhere(new SlashCommandBuilder().setName('reset').setDescription("Forget this thread's history"))
      .addBooleanOption((o) =>
        o
          .setName(OPTION.private)
          .setDescription('Forget your private /ask conversation in this channel instead'),
      )
      .toJSON(),
    everywhere(
      new SlashCommandBuilder().setName('stop').setDescription('Stop the answer being written here'),
    ).toJSON(),
    everywhere(
      new SlashCommandBuilder().setName('usage').setDescription('Tokens used here and by you'),
    ).toJSON(),
    everywhere(new SlashCommandBuilder().setName('help').setDescription('How to use this bot')).toJSON(),
  ];
}
