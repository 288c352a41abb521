/**
 * Keeps a request under the history budget: at most `maxTurns` turns, `maxChars` characters and
 * `maxRequestBytes` attachment bytes, the newest first. The system prompt is not part of the history
 * and is always kept; the newest turn (the prompt being answered) is always kept, however long.
 *
 * How attachments count:
 * - ATTACHMENT_REQUEST_MAX_BYTES counts the raw bytes of every attachment the request carries, media
 *   and text files alike, at their announced size (the download is then capped at what was reserved,
 *   so a file larger than announced cannot overrun the budget). An attachment that does not fit is
 *   not downloaded at all: the request carries a one-line note in its place and the turn's text stays.
 * - HISTORY_MAX_CHARS counts the text the model reads: each turn's text, each inlined text file at its
 *   announced size (UTF-8 bytes, never fewer than its characters), each note, and a flat MEDIA_COST
 *   per image or video. A media part's base64 length is deliberately not charged here: a 2 MB photo
 *   is 2.8 million characters of data: URL and would push every earlier turn out of a 100 000-character
 *   history, while the model reads an image as a few hundred tokens whatever its size. The bytes are
 *   bounded by the byte budget instead, so a request is at most about
 *   HISTORY_MAX_CHARS + 4/3 × ATTACHMENT_REQUEST_MAX_BYTES characters (base64) plus JSON framing.
 */
import type { AttachmentRef, Turn } from '../store/types.js';
import { type AttachmentLimits, classifyAttachment } from './attachments.js';

export interface HistoryBudget {
  maxTurns: number;
  maxChars: number;
}

/** The attachment side of the budget: the per-file caps and the per-request total. */
export type AttachmentBudget = Pick<AttachmentLimits, 'maxBytes' | 'maxTextBytes'> & {
  /** ATTACHMENT_REQUEST_MAX_BYTES. */
  maxRequestBytes: number;
};

/** An attachment that goes into the request, downloaded with at most `maxBytes` bytes. */
export interface SentAttachment {
  ref: AttachmentRef;
  /** The bytes reserved for it; infinite for files conversion refuses without a download. */
  maxBytes: number;
}

/** An attachment left out of the request: `older` ones lost to newer, `over_limit` the newest turn's. */
export interface OmittedAttachment {
  ref: AttachmentRef;
  reason: 'older' | 'over_limit';
}

/** One turn of the request and what becomes of each of its attachments. */
export interface PlannedTurn {
  turn: Turn;
  /**
   * In the turn's order. Unsupported and oversized files are listed too, with no bytes reserved:
   * conversion skips them without a download and says why.
   */
  send: SentAttachment[];
  omitted: OmittedAttachment[];
}

/** Characters a kept image or video is charged (see above for why not its base64 length). */
const MEDIA_COST = 200;
/** Characters around an inlined text file: `File <name>:` and its fences. */
const TEXT_FRAME_COST = 40;
/** Characters a note is charged: "[image <name> omitted: older attachment]". */
const NOTE_FRAME_COST = 60;

/**
 * Returns the newest suffix of `turns` that fits the budget, each with the attachments it sends and
 * the ones it only names. The result never starts with an assistant turn: an answer without its
 * question confuses the model more than it helps.
 */
export function fitHistory(
  turns: Turn[],
  budget: HistoryBudget,
  attachments: AttachmentBudget,
): PlannedTurn[] {
  if (turns.length === 0) return [];
  const planned: PlannedTurn[] = [];
  let charsLeft = budget.maxChars;
  let bytesLeft = attachments.maxRequestBytes;
  for (let index = turns.length - 1; index >= 0; index--) {
    const turn = turns[index]!;
    const newest = index === turns.length - 1;
    if (!newest && planned.length >= budget.maxTurns) break;
    const plan = planAttachments(turn, newest, charsLeft - turn.text.length, bytesLeft, attachments);
    const chars = turn.text.length + plan.chars;
    if (!newest && chars > charsLeft) break;
    charsLeft -= chars;
    bytesLeft -= plan.bytes;
    planned.push({ turn, send: plan.send, omitted: plan.omitted });
  }
  planned.reverse();
  while (planned.length > 1 && planned[0]!.turn.role === 'assistant') planned.shift();
  return planned;
}

/** Decides, in the turn's order, which attachments fit what is left of the budget. */
function planAttachments(
  turn: Turn,
  newest: boolean,
  charsLeft: number,
  bytesLeft: number,
  budget: AttachmentBudget,
) {
  const plan = { send: [] as SentAttachment[], omitted: [] as OmittedAttachment[], chars: 0, bytes: 0 };
  for (const ref of turn.attachments) {
    const kind = classifyAttachment(ref, budget);
    if (kind === 'unsupported' || kind === 'too_large') {
      plan.send.push({ ref, maxBytes: Number.POSITIVE_INFINITY });
      continue;
    }
    const cap = kind === 'media' ? budget.maxBytes : budget.maxTextBytes;
    const room = bytesLeft - plan.bytes;
    // An unknown size (0: some Slack files) reserves whatever is left, up to the per-file cap.
    const bytes = ref.size > 0 ? ref.size : Math.min(cap, room);
    const chars = kind === 'media' ? MEDIA_COST : bytes + ref.name.length + TEXT_FRAME_COST;
    const fitsBytes = bytes > 0 && bytes <= room;
    // The newest turn is always sent whole, so only the byte budget can leave its files out.
    const fitsChars = newest || plan.chars + chars <= charsLeft;
    if (fitsBytes && fitsChars) {
      plan.send.push({ ref, maxBytes: bytes });
      plan.bytes += bytes;
      plan.chars += chars;
    } else {
      plan.omitted.push({ ref, reason: newest ? 'over_limit' : 'older' });
      plan.chars += ref.name.length + NOTE_FRAME_COST;
    }
  }
  return plan;
}
