/**
 * `npm run bench`: runs every section in bench/sections/ one after another (never in parallel: the
 * machine has two cores and the numbers would measure each other) and prints one Markdown table.
 * `npm run bench -- upstream store` runs only the named sections.
 */
import { readdirSync } from 'node:fs';
import type { BenchRow } from './types.js';

const ORDER = ['engine', 'upstream', 'sdk', 'renderer', 'store', 'discord', 'slack', 'scale'];

async function main(): Promise<void> {
  const dir = new URL('./sections/', import.meta.url);
  const available = readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.replace(/\.ts$/, ''))
    .sort((a, b) => rank(a) - rank(b));
  const wanted = process.argv.slice(2);
  const sections = wanted.length > 0 ? available.filter((name) => wanted.includes(name)) : available;

  const rows: BenchRow[] = [];
  for (const name of sections) {
    process.stderr.write(`bench: ${name}…\n`);
    const started = Date.now();
    try {
      const section = (await import(new URL(`${name}.ts`, dir).href)) as { run: () => Promise<BenchRow[]> };
      rows.push(...(await section.run()));
    } catch (error) {
      rows.push({
        section: name,
        metric: 'error',
        value: error instanceof Error ? error.message : String(error),
      });
    }
    process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const lines = [
    `Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}.`,
    '',
    '| section | metric | value | target |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.section} | ${row.metric} | ${row.value} | ${row.target ?? ''} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

function rank(name: string): number {
  const index = ORDER.indexOf(name);
  return index < 0 ? ORDER.length : index;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String(error)}\n`);
  process.exit(1);
});
