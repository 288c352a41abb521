/**
 * Slack's checks on the interactive blocks the bot sends, with the limits of the Block Kit
 * reference: an `actions` block holds up to 25 elements; a `context_actions` block up to 5, each a
 * `feedback_buttons` (both buttons, plain_text text, a value of up to 2,000 characters) or an
 * `icon_button`; a `static_select` has 1 to 100 options, each with plain_text text of up to 75
 * characters and a value of up to 150; action ids are unique in a message and at most 255
 * characters. A failed check is Slack's `invalid_blocks` with a json-pointer to the bad block.
 * Other block types are accepted as they are.
 */

// biome-ignore lint/suspicious/noExplicitAny: blocks are arbitrary JSON, checked field by field.
type Json = any;

export const BLOCK_LIMITS = {
  blocks: 50,
  actionsElements: 25,
  contextActionsElements: 5,
  selectOptions: 100,
  optionText: 75,
  optionValue: 150,
  actionId: 255,
  feedbackValue: 2_000,
};

/** The `errors` of Slack's invalid_blocks answer, or undefined when the blocks pass. */
export function blockErrors(blocks: Json): string[] | undefined {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  if (blocks.length > BLOCK_LIMITS.blocks)
    return [`no more than ${BLOCK_LIMITS.blocks} items allowed [json-pointer:/blocks]`];
  const errors: string[] = [];
  const actionIds = new Set<string>();
  blocks.forEach((block: Json, index: number) => {
    const at = `/blocks/${index}`;
    if (block?.type === 'actions') {
      const elements: Json[] = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length < 1 || elements.length > BLOCK_LIMITS.actionsElements)
        errors.push(`must have 1-${BLOCK_LIMITS.actionsElements} elements [json-pointer:${at}/elements]`);
      for (const [i, element] of elements.entries()) {
        errors.push(...elementErrors(element, `${at}/elements/${i}`, actionIds));
      }
    } else if (block?.type === 'context_actions') {
      const elements: Json[] = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length < 1 || elements.length > BLOCK_LIMITS.contextActionsElements)
        errors.push(
          `must have 1-${BLOCK_LIMITS.contextActionsElements} elements [json-pointer:${at}/elements]`,
        );
      elements.forEach((element, i) => {
        const where = `${at}/elements/${i}`;
        if (element?.type !== 'feedback_buttons' && element?.type !== 'icon_button')
          errors.push(`must be feedback_buttons or icon_button [json-pointer:${where}]`);
        else errors.push(...elementErrors(element, where, actionIds));
      });
    }
  });
  return errors.length > 0 ? errors : undefined;
}

function elementErrors(element: Json, at: string, actionIds: Set<string>): string[] {
  const errors: string[] = [];
  const actionId = element?.action_id;
  if (typeof actionId === 'string') {
    if (actionId.length > BLOCK_LIMITS.actionId)
      errors.push(`action_id too long [json-pointer:${at}/action_id]`);
    if (actionIds.has(actionId)) errors.push(`action_id already exists [json-pointer:${at}/action_id]`);
    actionIds.add(actionId);
  }
  if (element?.type === 'feedback_buttons') {
    for (const side of ['positive_button', 'negative_button']) {
      const button = element[side];
      if (button?.text?.type !== 'plain_text' || typeof button.text.text !== 'string')
        errors.push(`must provide plain_text text [json-pointer:${at}/${side}/text]`);
      if (typeof button?.value !== 'string' || button.value.length > BLOCK_LIMITS.feedbackValue)
        errors.push(`must provide a value [json-pointer:${at}/${side}/value]`);
    }
  } else if (element?.type === 'static_select') {
    const options: Json[] = Array.isArray(element.options) ? element.options : [];
    if (options.length < 1 || options.length > BLOCK_LIMITS.selectOptions)
      errors.push(`must have 1-${BLOCK_LIMITS.selectOptions} options [json-pointer:${at}/options]`);
    options.forEach((option, i) => {
      if (
        option?.text?.type !== 'plain_text' ||
        String(option.text.text ?? '').length > BLOCK_LIMITS.optionText
      )
        errors.push(
          `must be plain_text of at most ${BLOCK_LIMITS.optionText} characters [json-pointer:${at}/options/${i}/text]`,
        );
      if (typeof option?.value !== 'string' || option.value.length > BLOCK_LIMITS.optionValue)
        errors.push(
          `must be at most ${BLOCK_LIMITS.optionValue} characters [json-pointer:${at}/options/${i}/value]`,
        );
    });
  }
  return errors;
}
