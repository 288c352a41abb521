import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../src/', import.meta.url).pathname;

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every module a file names: static imports, re-exports (`export … from`) and dynamic `import()`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const statements = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(statements), ...text.matchAll(dynamic)].map((m) => m[1]!);
}

/** `file → spec` for every import of a file under `dir` that `offends`. */
function offendingImports(dir: string, offends: (spec: string) => boolean): string[] {
  return sourcesUnder(dir).flatMap((file) =>
    importsOf(file)
      .filter(offends)
      .map((spec) => `${file.slice(root.length)} → ${spec}`),
  );
}

describe('dependencies point one way: platforms → engine → upstream/store', () => {
  it.each(['engine', 'upstream', 'store'])('src/%s imports no platform library or adapter', (dir) => {
    const offending = offendingImports(
      dir,
      (spec) => /^(discord\.js|@discordjs\/|@slack\/)/.test(spec) || spec.includes('/platforms/'),
    );
    expect(offending).toEqual([]);
  });

  it('platforms know the engine by its interface (conversation-engine-api.ts), never the class', () => {
    expect(offendingImports('platforms', (spec) => /\/engine\/engine\.js$/.test(spec))).toEqual([]);
  });
});

describe('the composition roots stand at the top', () => {
  it('only src/main.ts and src/chat.ts build a runtime (no platform, ops or sharding module imports it)', () => {
    const importers = sourcesUnder('.')
      .filter((file) => importsOf(file).some((spec) => /(^|\/)runtime\.js$/.test(spec)))
      .map((file) => file.slice(root.length))
      .sort();
    expect(importers).toEqual(['chat.ts', 'main.ts']);
  });
});
