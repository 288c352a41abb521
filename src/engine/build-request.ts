/**
 * Turns stored history and the prompt being answered into the upstream's `messages`. Attachment
 * references are resolved only here, at request time, through the adapter's resolver, because the
 * platform URLs seen when a message arrived may have expired since (Discord CDN links last a day).
 */
import type { AttachmentRef, Turn } from '../store/types.js';
import type { ChatMessage, ContentPart } from '../upstream/types.js';
import { type AttachmentLimits, convertAttachments } from './attachments.js';
import type { AttachmentResolver } from './types.js';

export interface BuiltRequest {
  messages: ChatMessage[];
  /** Attachments of the newest turn that could not be sent, with the reason to tell the user. */
  skipped: Array<{ name: string; reason: string }>;
}

export async function buildMessages(options: {
  systemPrompt: string;
  turns: Turn[];
  resolveFor: (ref: AttachmentRef) => AttachmentResolver | undefined;
  limits: AttachmentLimits;
  signal?: AbortSignal;
}): Promise<BuiltRequest> {
  const { turns, limits, signal } = options;
  const messages: ChatMessage[] = [];
  if (options.systemPrompt.trim()) messages.push({ role: 'system', content: options.systemPrompt });

  // Resolve every turn's attachments concurrently; a slow CDN then costs one round trip, not N.
  const converted = await Promise.all(
    turns.map((turn) =>
      turn.role === 'user' && turn.attachments.length > 0
        ? convertTurnAttachments(turn.attachments, options.resolveFor, limits, signal)
        : Promise.resolve({ parts: [] as ContentPart[], skipped: [] }),
    ),
  );

  turns.forEach((turn, index) => {
    const parts = converted[index]!.parts;
    if (turn.role === 'assistant' || parts.length === 0) {
      messages.push({ role: turn.role, content: turn.text });
      return;
    }
    const content: ContentPart[] = turn.text ? [{ type: 'text', text: turn.text }, ...parts] : parts;
    messages.push({ role: 'user', content });
  });

  return { messages, skipped: converted.at(-1)?.skipped ?? [] };
}

async function convertTurnAttachments(
  refs: AttachmentRef[],
  resolveFor: (ref: AttachmentRef) => AttachmentResolver | undefined,
  limits: AttachmentLimits,
  signal: AbortSignal | undefined,
) {
  const resolvable = refs.filter((ref) => resolveFor(ref));
  const unresolvable = refs
    .filter((ref) => !resolveFor(ref))
    .map((ref) => ({ name: ref.name, reason: `${ref.name} could not be downloaded.` }));
  const resolver: AttachmentResolver = (ref, abort) => resolveFor(ref)!(ref, abort);
  const result = await convertAttachments(resolvable, resolver, limits, signal);
  return { parts: result.parts, skipped: [...unresolvable, ...result.skipped] };
}
