/**
 * A terminal chat over the same engine as Discord and Slack (`npm run chat`). One prompt per line
 * from stdin, typed or piped, answered in order; `/commands` attach files, switch model, reset.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { mimeTypeFromName } from '../../engine/attachments.js';
import { formatBudgetLines } from '../../engine/budgets.js';
import type { ConversationEngineApi } from '../../engine/conversation-engine-api.js';
import { describeError } from '../../engine/describe-error.js';
import type { AttachmentResolver } from '../../engine/types.js';
import { UserInputError } from '../../errors.js';
import type { AttachmentRef, ConversationKey } from '../../store/types.js';
import { ConsoleSink } from './sink.js';

export const HELP = `Type a prompt and press Enter. Commands:
  /attach <path>   attach an image, video or text file to your next prompt (also /image)
  /model [name]    show or switch the model
  /system [text]   show or set the system prompt (/system clear to reset it)
  /reset           forget this conversation
  /usage           tokens used in this session
  /help            this list
  /quit            leave`;

export interface ConsoleOptions {
  engine: ConversationEngineApi;
  input: Readable;
  output: Writable;
  /** Status lines and notices; stderr in a terminal. */
  errorOutput?: Writable & { isTTY?: boolean };
  sessionId?: string;
  userName?: string;
}

/**
 * Reads the file a console attachment points at; console attachments are local paths, so this is
 * the one source whose policy allows file: URLs (and nothing on the network).
 */
export const resolveConsoleAttachment: AttachmentResolver = async (ref) => ({
  url: pathToFileURL(ref.id).href,
  policy: { allowFileUrls: true, allowedOrigins: [] },
});

export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { engine, output } = options;
  const info = options.errorOutput ?? output;
  const session = options.sessionId ?? randomUUID();
  const key: ConversationKey = { platform: 'console', workspace: 'local', channel: session, thread: session };
  const author = { id: options.userName ?? 'console-user', name: options.userName ?? 'you' };
  engine.registerResolver('console', resolveConsoleAttachment);
  let pending: AttachmentRef[] = [];
  let turnNumber = 0;

  const lines = createInterface({
    input: options.input,
    crlfDelay: Number.POSITIVE_INFINITY,
    terminal: false,
  });
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('/')) {
      const [command = '', ...rest] = line.slice(1).split(/\s+/);
      const argument = rest.join(' ').trim();
      if (command === 'quit' || command === 'exit') break;
      try {
        const reply = await runCommand(command, argument);
        if (reply) info.write(`${reply}\n`);
      } catch (error) {
        info.write(`${describeError(error)}\n`);
      }
      continue;
    }

    turnNumber += 1;
    const sink = new ConsoleSink(output, options.errorOutput);
    const outcome = await engine.handleTurn(
      { key, author, text: line, attachments: pending, messageIds: [`${session}-${turnNumber}`] },
      sink,
      { onContent: (delta) => sink.writeDelta(delta) },
    );
    sink.finishLine();
    pending = [];
    if (outcome.status === 'refused') info.write(`${describeError(outcome.error)}\n`);
  }
  lines.close();

  async function runCommand(command: string, argument: string): Promise<string> {
    switch (command) {
      case 'attach':
      case 'image': {
        if (!argument) return 'Usage: /attach <path to an image, video or text file>';
        const ref = await attachmentFromPath(argument);
        pending.push(ref);
        return `Attached ${ref.name} (${ref.mimeType}, ${ref.size} bytes) to your next prompt.`;
      }
      case 'model': {
        if (!argument)
          return `Model: ${(await engine.settings(key)).model}. Available: ${engine.allowedModels.join(', ')}`;
        await engine.setModel(key, argument);
        return `Model set to ${argument}.`;
      }
      case 'system': {
        if (!argument) return `System prompt: ${(await engine.settings(key)).systemPrompt}`;
        await engine.setSystemPrompt(key, argument === 'clear' ? null : argument);
        return argument === 'clear' ? 'System prompt reset to the default.' : 'System prompt set.';
      }
      case 'reset':
        await engine.reset(key);
        pending = [];
        return 'Conversation forgotten. Start a new one.';
      case 'usage': {
        const { conversation, budgets } = await engine.usage(key, author.id);
        return [
          `This session: ${conversation.requests} answers, ${conversation.promptTokens} prompt + ${conversation.completionTokens} completion tokens (${conversation.reasoningTokens} reasoning).`,
          ...formatBudgetLines('console', budgets),
        ].join('\n');
      }
      case 'help':
        return HELP;
      default:
        return `Unknown command /${command}. Type /help for the list.`;
    }
  }
}

async function attachmentFromPath(path: string): Promise<AttachmentRef> {
  const absolute = resolve(path.replace(/^["']|["']$/g, ''));
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) throw new UserInputError('bad_argument', `No such file: ${absolute}`);
  const name = absolute.split('/').at(-1) ?? absolute;
  return {
    platform: 'console',
    id: absolute,
    name,
    mimeType: mimeTypeFromName(name),
    size: info.size,
  };
}
