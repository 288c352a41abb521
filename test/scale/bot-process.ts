/**
 * Starts a loopback bot (test/scale/loopback-bot.ts) as a real child process, learns its port from
 * its start-up log line, and keeps its log lines for assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LoopbackTurn } from './loopback-bot.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface BotProcess {
  name: string;
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines (stdout). */
  logs: Array<Record<string, unknown> & { msg?: string; level?: number }>;
  stderr: string[];
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a turn; resolves once the bot acknowledged it (the answer comes later). */
  send(turn: LoopbackTurn): Promise<void>;
}

/** How to start a bot other than the loopback one (the real src/main.ts, a production build). */
export interface BotCommand {
  /** Arguments to `node`. Default: the loopback bot through tsx. */
  args?: string[];
  cwd?: string;
  /** The log message that carries `port` once the bot is up. Default 'loopback bot started'. */
  startedMessage?: string;
}

export async function startBotProcess(
  name: string,
  env: Record<string, string>,
  command: BotCommand = {},
): Promise<BotProcess> {
  const startedMessage = command.startedMessage ?? 'loopback bot started';
  const args = command.args ?? ['--import', 'tsx', 'test/scale/loopback-bot.ts'];
  const child = spawn(process.execPath, args, {
    cwd: command.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BOT_NAME: name,
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: BotProcess['logs'] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as BotProcess['logs'][number];
        logs.push(entry);
        if (entry.msg === startedMessage) resolve(Number(entry.port));
      } catch {
        stderr.push(line);
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`${name} exited with ${code} before starting: ${stderr.join('\n')}`)),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    child,
    url,
    logs,
    stderr,
    exited,
    async send(turn) {
      const response = await fetch(`${url}/loopback/turn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(turn),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${name} answered ${response.status}`);
    },
  };
}

/** SIGKILLs every still-running process (afterAll safety net). */
export async function killAll(bots: Array<BotProcess | undefined>): Promise<void> {
  await Promise.all(
    bots.map(async (bot) => {
      if (!bot || bot.child.exitCode !== null || bot.child.signalCode !== null) return;
      bot.child.kill('SIGKILL');
      await bot.exited;
    }),
  );
}
