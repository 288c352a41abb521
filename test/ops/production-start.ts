/**
 * What the Dockerfile does, without Docker: compile with `tsconfig.build.json` into a fresh
 * directory, give it production dependencies only (the packages `npm ls --omit=dev` lists, copied
 * from this checkout's node_modules, since `npm ci --omit=dev --offline` needs a full npm cache),
 * prove dev dependencies cannot be resolved there, then run `node dist/src/main.js` in it (Slack
 * HTTP mode on the loopback emulators, SQLite in ./data as in the image) and check /healthz,
 * /readyz, /metrics, one answered mention and a clean SIGTERM exit; and the second entry point,
 * `node dist/src/chat.js` (the console chat), answering a piped prompt there.
 *
 * Too slow for the test suite (the TypeScript build alone takes 15-40 s here), so it is a script:
 *   npx tsx test/ops/production-start.ts        (exit code 0 = every check passed)
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { appMention, userTs } from '../emulators/slack/payloads.js';
import { createSlackSender } from '../emulators/slack/sender.js';
import { startSlackEmulator } from '../emulators/slack/server.js';
import { startUpstreamEmulator } from '../emulators/upstream/server.js';
import { killAll, startBotProcess } from '../scale/bot-process.js';
import { waitFor } from '../scale/chat-recorder.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEV_ONLY = ['typescript', 'tsx', 'vitest', '@biomejs/biome'];

function step(what: string, startedAt: number): void {
  console.log(`ok  ${what} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);
}

/** Builds dist/ and a production-only node_modules into a new temporary directory. */
export function buildProductionBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gcb-production-'));
  let startedAt = performance.now();
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      join(dir, 'dist'),
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (!existsSync(join(dir, 'dist/src/main.js'))) throw new Error('the build produced no dist/src/main.js');
  step('npm run build (tsc -p tsconfig.build.json)', startedAt);

  startedAt = performance.now();
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((path) => path.startsWith(join(ROOT, 'node_modules/')));
  // Top-level packages only: copying one copies its nested node_modules with it.
  const topLevel = listed.filter((path) => relative(ROOT, path).split('node_modules/').length === 2);
  for (const path of topLevel) cpSync(path, join(dir, relative(ROOT, path)), { recursive: true });
  step(`production node_modules: ${topLevel.length} top-level packages`, startedAt);

  for (const name of DEV_ONLY) {
    const found = execFileSync(
      process.execPath,
      ['-e', `import(${JSON.stringify(name)}).then(() => console.log('yes'), () => console.log('no'))`],
      { cwd: dir, encoding: 'utf8' },
    ).trim();
    if (found !== 'no') throw new Error(`dev dependency ${name} is resolvable from the production bundle`);
  }
  console.log(`ok  dev dependencies not resolvable: ${DEV_ONLY.join(', ')}`);
  return dir;
}

/** Starts the built bot from `dir` and checks it end to end; resolves when it exited 0. */
export async function checkProductionStart(dir: string): Promise<void> {
  const upstream = await startUpstreamEmulator();
  const slack = await startSlackEmulator();
  const startedAt = performance.now();
  const bot = await startBotProcess(
    'production',
    {
      NODE_ENV: 'production',
      ACEDATA_API_TOKEN: upstream.token,
      ACEDATA_BASE_URL: upstream.url,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: `${slack.url}/api`,
      SLACK_NATIVE_STREAMING: 'false',
      // The image's default: SQLite (a native module) in /app/data.
      STORE_URL: 'sqlite://./data/gemini-chat-bot.sqlite',
    },
    { args: ['dist/src/main.js'], cwd: dir, startedMessage: 'gemini-chat-bot started' },
  );
  try {
    step('node dist/src/main.js started', startedAt);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${bot.url}${path}`);
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
      console.log(`ok  GET ${path} → 200`);
    }
    const send = createSlackSender({
      url: `${bot.url}/slack/events`,
      signingSecret: slack.signingSecret,
      teamId: slack.teamId,
      botUserId: slack.botUserId,
    });
    const ts = userTs();
    await send.event(appMention({ channel: 'C1', user: 'U1', text: `<@${slack.botUserId}> hello`, ts }));
    await waitFor('the answer', () => (slack.thread('C1', ts).at(-1)?.text ?? '').includes('Echo: hello'));
    console.log('ok  a Slack mention was answered through the upstream emulator');
    bot.child.kill('SIGTERM');
    const { code } = await bot.exited;
    if (code !== 0) throw new Error(`exit code ${code} after SIGTERM`);
    if (!existsSync(join(dir, 'data/gemini-chat-bot.sqlite'))) throw new Error('no SQLite file in ./data');
    console.log('ok  SIGTERM → exit 0; SQLite file in ./data');
  } finally {
    await killAll([bot]);
    await slack.close();
    await upstream.close();
  }
}

/** Pipes one prompt into the built console chat (src/chat.ts) in `dir`; resolves when it was answered. */
export async function checkConsoleStart(dir: string): Promise<void> {
  const upstream = await startUpstreamEmulator();
  try {
    // Not execFileSync: the emulator answering the chat runs on this process's event loop.
    const child = spawn(process.execPath, ['dist/src/chat.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        ACEDATA_API_TOKEN: upstream.token,
        ACEDATA_BASE_URL: upstream.url,
        STORE_URL: 'memory://',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stdin.end('hello from the console\n');
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) throw new Error(`node dist/src/chat.js exited ${code}`);
    if (!stdout.includes('Echo: hello from the console'))
      throw new Error(`node dist/src/chat.js printed ${JSON.stringify(stdout)}`);
    console.log('ok  node dist/src/chat.js answered a piped prompt');
  } finally {
    await upstream.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = buildProductionBundle();
  checkProductionStart(dir)
    .then(() => checkConsoleStart(dir))
    .then(() => {
      rmSync(dir, { recursive: true, force: true });
      console.log('production start: all checks passed');
    })
    .catch((error: unknown) => {
      console.error(`production start FAILED: ${error instanceof Error ? error.message : String(error)}`);
      console.error(`(bundle kept in ${dir})`);
      process.exit(1);
    });
}
