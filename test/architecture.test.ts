import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../src/', import.meta.url).pathname;

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

describe('dependencies point one way: platforms → engine → upstream/store', () => {
  it.each(['engine', 'upstream', 'store'])('src/%s imports no platform library or adapter', (dir) => {
    const offending = sourcesUnder(dir).flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^(discord\.js|@discordjs\/|@slack\/)/.test(spec) || spec.includes('/platforms/'))
        .map((spec) => `${file.slice(root.length)} → ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});
