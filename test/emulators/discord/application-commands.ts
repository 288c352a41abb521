/**
 * Application commands as Discord stores and checks them: the bulk-overwrite PUT validates the whole
 * list first (nothing is stored if one command is wrong) and answers 400 "Invalid Form Body"
 * (code 50035) with per-field errors; a stored command comes back with Discord's defaults filled in
 * (id, version, type 1, integration_types [0], …), which is why a bot must normalise before comparing.
 * Limits from Discord's application-commands reference.
 */
import type { JsonBody } from './limits.js';

export const COMMAND_LIMITS = {
  /** Per scope (global, or one guild): chat-input, user and message commands. */
  chatInput: 100,
  user: 5,
  message: 5,
  nameLength: 32,
  descriptionLength: 100,
  options: 25,
  choices: 25,
  choiceNameLength: 100,
  /** Name, description, option names, descriptions and choice names and values of one command. */
  totalCharacters: 4_000,
} as const;

const CHAT_INPUT = 1;
const USER = 2;
const MESSAGE = 3;
const SUB_COMMAND_TYPES = new Set([1, 2]);

/** Discord's rule for chat-input and option names: lowercase where the script has case. */
const CHAT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

type FieldErrors = Record<string, unknown>;

function fail(code: string, message: string): { _errors: Array<{ code: string; message: string }> } {
  return { _errors: [{ code, message }] };
}

function length(value: unknown): number {
  return typeof value === 'string' ? [...value].length : 0;
}

function checkChatName(name: unknown): unknown {
  if (typeof name !== 'string' || length(name) < 1 || length(name) > COMMAND_LIMITS.nameLength) {
    return fail('BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${COMMAND_LIMITS.nameLength} in length.`);
  }
  if (!CHAT_NAME.test(name) || name !== name.toLowerCase()) {
    return fail('APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
  return undefined;
}

function checkDescription(description: unknown): unknown {
  const size = length(description);
  if (size < 1 || size > COMMAND_LIMITS.descriptionLength) {
    return fail(
      'BASE_TYPE_BAD_LENGTH',
      `Must be between 1 and ${COMMAND_LIMITS.descriptionLength} in length.`,
    );
  }
  return undefined;
}

function checkOptions(options: JsonBody[]): FieldErrors | undefined {
  if (options.length > COMMAND_LIMITS.options) {
    return fail('BASE_TYPE_MAX_LENGTH', `Must be ${COMMAND_LIMITS.options} or fewer in length.`);
  }
  const errors: FieldErrors = {};
  let optionalSeen = false;
  options.forEach((option, index) => {
    const field: FieldErrors = {};
    const name = checkChatName(option?.name);
    if (name) field.name = name;
    const description = checkDescription(option?.description);
    if (description) field.description = description;
    const choices: JsonBody[] = Array.isArray(option?.choices) ? option.choices : [];
    if (choices.length > COMMAND_LIMITS.choices) {
      field.choices = fail('BASE_TYPE_MAX_LENGTH', `Must be ${COMMAND_LIMITS.choices} or fewer in length.`);
    }
    if (option?.autocomplete === true && choices.length > 0) {
      field.autocomplete = fail(
        'APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES',
        'Autocomplete cannot be enabled on options that have choices',
      );
    }
    if (SUB_COMMAND_TYPES.has(option?.type) && Array.isArray(option.options)) {
      const nested = checkOptions(option.options);
      if (nested) field.options = nested;
    } else if (option?.required === true && optionalSeen) {
      field.required = fail(
        'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        'Required options must be placed before non-required options',
      );
    }
    if (option?.required !== true) optionalSeen = true;
    if (Object.keys(field).length > 0) errors[String(index)] = field;
  });
  return Object.keys(errors).length > 0 ? errors : undefined;
}

function characterCount(command: JsonBody): number {
  const ofOptions = (options: JsonBody[] | undefined): number =>
    (options ?? []).reduce(
      (sum: number, option: JsonBody) =>
        sum +
        length(option.name) +
        length(option.description) +
        (option.choices ?? []).reduce(
          (s: number, choice: JsonBody) => s + length(choice.name) + length(String(choice.value)),
          0,
        ) +
        ofOptions(option.options),
      0,
    );
  return length(command.name) + length(command.description) + ofOptions(command.options);
}

function checkCommand(command: JsonBody): FieldErrors | undefined {
  const errors: FieldErrors = {};
  const type = command?.type ?? CHAT_INPUT;
  if (![CHAT_INPUT, USER, MESSAGE].includes(type)) {
    errors.type = fail('BASE_TYPE_CHOICES', `Value must be one of {${CHAT_INPUT}, ${USER}, ${MESSAGE}}.`);
    return errors;
  }
  if (type === CHAT_INPUT) {
    const name = checkChatName(command?.name);
    if (name) errors.name = name;
    const description = checkDescription(command?.description);
    if (description) errors.description = description;
    const options = checkOptions(Array.isArray(command?.options) ? command.options : []);
    if (options) errors.options = options;
    if (characterCount(command) > COMMAND_LIMITS.totalCharacters) {
      errors._errors = [
        { code: 'APPLICATION_COMMAND_TOO_LARGE', message: 'Command exceeds maximum size (4000)' },
      ];
    }
  } else {
    // User and message commands: a display name (spaces and capitals allowed), no description.
    if (length(command?.name) < 1 || length(command?.name) > COMMAND_LIMITS.nameLength) {
      errors.name = fail(
        'BASE_TYPE_BAD_LENGTH',
        `Must be between 1 and ${COMMAND_LIMITS.nameLength} in length.`,
      );
    }
    if (length(command?.description) > 0) {
      errors.description = fail('APPLICATION_COMMAND_DESCRIPTION_NOT_EMPTY', 'Description must be empty');
    }
    if (Array.isArray(command?.options) && command.options.length > 0) {
      errors.options = fail('APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED', 'Options are not allowed');
    }
  }
  const integrationTypes: unknown[] = command?.integration_types ?? [];
  if (!Array.isArray(integrationTypes) || integrationTypes.some((t) => t !== 0 && t !== 1)) {
    errors.integration_types = fail('BASE_TYPE_CHOICES', 'Value must be one of {0, 1}.');
  }
  const contexts: unknown[] = command?.contexts ?? [];
  if (!Array.isArray(contexts) || contexts.some((c) => c !== 0 && c !== 1 && c !== 2)) {
    errors.contexts = fail('BASE_TYPE_CHOICES', 'Value must be one of {0, 1, 2}.');
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** Discord's 400 body for a bulk overwrite it refuses, or undefined when the list is valid. */
export function validateCommandList(body: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(body)) {
    return {
      code: 50035,
      message: 'Invalid Form Body',
      errors: fail('LIST_TYPE_CONVERT', 'Must be an array.'),
    };
  }
  const errors: FieldErrors = {};
  body.forEach((command, index) => {
    const found = checkCommand(command);
    if (found) errors[String(index)] = found;
  });
  const perType = (type: number) => body.filter((c: JsonBody) => (c?.type ?? CHAT_INPUT) === type);
  const limits: Array<[number, number, string]> = [
    [CHAT_INPUT, COMMAND_LIMITS.chatInput, 'chat input'],
    [USER, COMMAND_LIMITS.user, 'user'],
    [MESSAGE, COMMAND_LIMITS.message, 'message'],
  ];
  for (const [type, max, label] of limits) {
    const commands = perType(type);
    if (commands.length > max) {
      errors._errors = [
        {
          code: 'APPLICATION_COMMANDS_MAX_EXCEEDED',
          message: `Maximum number of ${label} application commands reached (${max})`,
        },
      ];
    }
    const names = commands.map((c: JsonBody) => c?.name);
    const duplicate = names.findIndex((name, i) => names.indexOf(name) !== i);
    if (duplicate >= 0) {
      errors._errors = [
        { code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: `Application command names must be unique` },
      ];
    }
  }
  return Object.keys(errors).length > 0 ? { code: 50035, message: 'Invalid Form Body', errors } : undefined;
}

/** An option as Discord gives it back: `required` only when true, no empty lists. */
function storedOption(option: JsonBody): JsonBody {
  const { required, options, choices, autocomplete, ...rest } = option;
  return {
    ...rest,
    ...(required === true ? { required: true } : {}),
    ...(autocomplete === true ? { autocomplete: true } : {}),
    ...(Array.isArray(choices) && choices.length > 0 ? { choices } : {}),
    ...(Array.isArray(options) && options.length > 0 ? { options: options.map(storedOption) } : {}),
  };
}

/** A command as Discord stores and returns it, defaults filled in. */
export function storedCommand(
  command: JsonBody,
  ids: { id: string; applicationId: string; version: string; guildId?: string },
): JsonBody {
  const type = command.type ?? CHAT_INPUT;
  return {
    ...command,
    id: ids.id,
    application_id: ids.applicationId,
    version: ids.version,
    type,
    description: command.description ?? '',
    default_member_permissions: command.default_member_permissions ?? null,
    dm_permission: command.dm_permission ?? true,
    nsfw: command.nsfw ?? false,
    integration_types: command.integration_types ?? [0],
    contexts: command.contexts ?? null,
    ...(ids.guildId ? { guild_id: ids.guildId } : {}),
    ...(type === CHAT_INPUT ? { options: (command.options ?? []).map(storedOption) } : {}),
  };
}
