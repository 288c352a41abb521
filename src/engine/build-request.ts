/**
 * Turns the planned history (see history-budget.ts) and the prompt being answered into the
 * upstream's `messages`. Attachment references are resolved only here, at request time, through the
 * adapter's resolver, because the platform URLs seen when a message arrived may have expired since
 * (Discord CDN links last a day). Attachments the budget left out are never resolved or downloaded:
 * the model gets a one-line note naming them instead, so it knows they existed.
 */
import type { AttachmentRef } from '../store/types.js';
import type { ChatMessage, ContentPart } from '../upstream/types.js';
import { type AttachmentLimits, attachmentNoun, convertAttachments } from './attachments.js';
import { formatBytes } from './download.js';
import type { OmittedAttachment, PlannedTurn, SentAttachment } from './history-budget.js';
import type { AttachmentResolver } from './types.js';

export interface BuiltRequest {
  messages: ChatMessage[];
  /** Attachments of the newest turn that could not be sent, with the reason to tell the user. */
  skipped: Array<{ name: string; reason: string }>;
  /** Attachments of earlier turns sent only as a note, to keep the request within its byte budget. */
  omittedOlder: number;
}

export async function buildMessages(options: {
  systemPrompt: string;
  turns: PlannedTurn[];
  resolveFor: (ref: AttachmentRef) => AttachmentResolver | undefined;
  limits: AttachmentLimits & { maxRequestBytes: number };
  signal?: AbortSignal;
}): Promise<BuiltRequest> {
  const { turns, limits, signal } = options;
  const messages: ChatMessage[] = [];
  if (options.systemPrompt.trim()) messages.push({ role: 'system', content: options.systemPrompt });

  // Every turn's attachments are converted concurrently; the downloads share the process-wide limit.
  const converted = await Promise.all(
    turns.map(({ turn, send }) =>
      turn.role === 'user' && send.length > 0
        ? convertTurnAttachments(send, options.resolveFor, limits, signal)
        : Promise.resolve({ parts: [] as ContentPart[], skipped: [] }),
    ),
  );

  turns.forEach(({ turn, omitted }, index) => {
    const parts = [...converted[index]!.parts, ...omitted.map(noteFor)];
    if (turn.role === 'assistant' || parts.length === 0) {
      messages.push({ role: turn.role, content: turn.text });
      return;
    }
    const content: ContentPart[] = turn.text ? [{ type: 'text', text: turn.text }, ...parts] : parts;
    messages.push({ role: 'user', content });
  });

  const overLimit = (turns.at(-1)?.omitted ?? []).map(({ ref }) => ({
    name: ref.name,
    reason: `${ref.name}: left out, the attachments of one message may total at most ${formatBytes(limits.maxRequestBytes)}`,
  }));
  return {
    messages,
    skipped: [...(converted.at(-1)?.skipped ?? []), ...overLimit],
    omittedOlder: turns.slice(0, -1).reduce((sum, planned) => sum + planned.omitted.length, 0),
  };
}

/** "[image photo.png omitted: older attachment]": one line, whatever the file is called. */
function noteFor({ ref, reason }: OmittedAttachment): ContentPart {
  const name =
    ref.name
      .replace(/[\p{Cc}[\]]+/gu, ' ')
      .trim()
      .slice(0, 200) || 'attachment';
  const why = reason === 'older' ? 'older attachment' : 'over the request attachment limit';
  return { type: 'text', text: `[${attachmentNoun(ref)} ${name} omitted: ${why}]` };
}

async function convertTurnAttachments(
  send: SentAttachment[],
  resolveFor: (ref: AttachmentRef) => AttachmentResolver | undefined,
  limits: AttachmentLimits,
  signal: AbortSignal | undefined,
) {
  const resolvable = send.filter(({ ref }) => resolveFor(ref));
  const unresolvable = send
    .filter(({ ref }) => !resolveFor(ref))
    .map(({ ref }) => ({ name: ref.name, reason: `${ref.name} could not be downloaded.` }));
  const resolver: AttachmentResolver = (ref, abort) => resolveFor(ref)!(ref, abort);
  const result = await convertAttachments(
    resolvable.map(({ ref }) => ref),
    resolver,
    limits,
    signal,
    resolvable.map(({ maxBytes }) => maxBytes),
  );
  return { parts: result.parts, skipped: [...unresolvable, ...result.skipped] };
}
