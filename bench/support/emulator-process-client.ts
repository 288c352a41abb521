/** Starts bench/support/emulator-process.ts as a child process and waits for its READY line. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The emulator's base URL and token, and how to stop it. */
export interface EmulatorProcess {
  url: string;
  token: string;
  stop(): void;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/emulator-process.ts'], {
    cwd: new URL('../../', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^READY (\S+) (\S+)/.exec(line);
      if (match) resolve([match[1]!, match[2]!]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { url, token, stop: () => child.kill('SIGTERM') };
}
