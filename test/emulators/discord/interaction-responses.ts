/**
 * Discord's checks on the interaction responses that are not messages: autocomplete results
 * (callback type 8: at most 25 choices, names 1-100 characters) and modals (type 9: a title of
 * 1-45, 1-5 action rows of one text input each, labels 1-45, values up to 4,000). Refusals are the
 * usual 400 "Invalid Form Body" (code 50035).
 */
import type { JsonBody } from './limits.js';

export const AUTOCOMPLETE_MAX_CHOICES = 25;
export const MODAL_LIMITS = { title: 45, rows: 5, label: 45, customId: 100, inputLength: 4_000 } as const;

/** Discord's follow-up cap for an app only the user installed (the bot is not in the server). */
export const USER_INSTALL_MAX_FOLLOW_UPS = 5;

const TEXT_INPUT = 4;
const ACTION_ROW = 1;

function invalid(errors: Record<string, unknown>): Record<string, unknown> {
  return { code: 50035, message: 'Invalid Form Body', errors: { data: errors } };
}

function bad(code: string, message: string) {
  return { _errors: [{ code, message }] };
}

const size = (value: unknown) => (typeof value === 'string' ? [...value].length : 0);

/** The 400 body for an autocomplete result Discord refuses, else undefined. */
export function validateAutocompleteResult(data: JsonBody): Record<string, unknown> | undefined {
  const choices: JsonBody[] = Array.isArray(data?.choices) ? data.choices : [];
  if (!Array.isArray(data?.choices))
    return invalid({ choices: bad('BASE_TYPE_REQUIRED', 'This field is required') });
  if (choices.length > AUTOCOMPLETE_MAX_CHOICES) {
    return invalid({
      choices: bad('BASE_TYPE_MAX_LENGTH', `Must be ${AUTOCOMPLETE_MAX_CHOICES} or fewer in length.`),
    });
  }
  const errors: Record<string, unknown> = {};
  choices.forEach((choice, index) => {
    if (size(choice?.name) < 1 || size(choice?.name) > 100) {
      errors[String(index)] = { name: bad('BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.') };
    } else if (typeof choice.value === 'string' && size(choice.value) > 100) {
      errors[String(index)] = { value: bad('BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.') };
    }
  });
  return Object.keys(errors).length > 0 ? invalid({ choices: errors }) : undefined;
}

/** The 400 body for a modal Discord refuses, else undefined. */
export function validateModal(data: JsonBody): Record<string, unknown> | undefined {
  const errors: Record<string, unknown> = {};
  if (size(data?.title) < 1 || size(data?.title) > MODAL_LIMITS.title) {
    errors.title = bad('BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${MODAL_LIMITS.title} in length.`);
  }
  if (size(data?.custom_id) < 1 || size(data?.custom_id) > MODAL_LIMITS.customId) {
    errors.custom_id = bad(
      'BASE_TYPE_BAD_LENGTH',
      `Must be between 1 and ${MODAL_LIMITS.customId} in length.`,
    );
  }
  const rows: JsonBody[] = Array.isArray(data?.components) ? data.components : [];
  if (rows.length < 1 || rows.length > MODAL_LIMITS.rows) {
    errors.components = bad('BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${MODAL_LIMITS.rows} in length.`);
  } else {
    const rowErrors: Record<string, unknown> = {};
    rows.forEach((row, index) => {
      const inputs: JsonBody[] = Array.isArray(row?.components) ? row.components : [];
      const input = inputs[0];
      const wrong =
        row?.type !== ACTION_ROW ||
        inputs.length !== 1 ||
        input?.type !== TEXT_INPUT ||
        ![1, 2].includes(input?.style) ||
        size(input?.label) < 1 ||
        size(input?.label) > MODAL_LIMITS.label ||
        size(input?.custom_id) < 1 ||
        (input?.max_length ?? 0) > MODAL_LIMITS.inputLength;
      if (wrong) rowErrors[String(index)] = bad('COMPONENT_INVALID', 'Invalid text input in modal');
    });
    if (Object.keys(rowErrors).length > 0) errors.components = rowErrors;
  }
  return Object.keys(errors).length > 0 ? invalid(errors) : undefined;
}
