/** One line of the benchmark table. */
export interface BenchRow {
  section: string;
  metric: string;
  value: string;
  target?: string;
}

/** Median and high percentiles of a sample, in the sample's unit. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const fmt = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** Lets a section run alone (`npx tsx bench/sections/<name>.ts`): prints its rows, then exits. */
export function runWhenMain(meta: ImportMeta, run: () => Promise<BenchRow[]>): void {
  if (meta.url !== `file://${process.argv[1]}`) return;
  run().then(
    (rows) => {
      for (const row of rows)
        process.stdout.write(`| ${row.metric} | ${row.value} | ${row.target ?? ''} |\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
