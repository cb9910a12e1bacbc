/**
 * Plain-text tables that fit the terminal: the widest columns are cut (with `…`) first; when that is not
 * enough, the rightmost columns are left out. Key columns (ids you copy into the next command) are never cut.
 */

/** Options of `formatTable`. */
export interface TableOptions {
  /** Indexes of columns that are never cut nor left out. @default [0] */
  keep?: number[];
}

const GAP = 2;

function widthsOf(headers: string[], rows: string[][]): number[] {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
}

/** Formats rows under headers, at most `width` characters wide when the kept columns allow it. */
export function formatTable(headers: string[], rows: string[][], width = 100, options: TableOptions = {}): string {
  if (rows.length === 0) return '(none)';
  const keep = new Set(options.keep ?? [0]);
  let columns = headers.map((_h, i) => i);
  for (;;) {
    const widths = widthsOf(columns.map((c) => headers[c]!), rows.map((r) => columns.map((c) => r[c] ?? '')));
    const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
    // Cut the widest cuttable column, a step at a time, never below its header or 8 characters.
    for (;;) {
      if (total() <= width) break;
      let widest = -1;
      widths.forEach((w, i) => {
        const floor = Math.max(8, headers[columns[i]!]!.length);
        if (!keep.has(columns[i]!) && w > floor && (widest < 0 || w > widths[widest]!)) widest = i;
      });
      if (widest < 0) break;
      widths[widest] = Math.max(Math.max(8, headers[columns[widest]!]!.length), widths[widest]! - (total() - width));
    }
    const droppable = columns.filter((c) => !keep.has(c));
    if (total() > width && droppable.length > 0) {
      const drop = droppable.at(-1)!;
      columns = columns.filter((c) => c !== drop);
      continue;
    }
    const cell = (text: string, i: number) => {
      const w = widths[i]!;
      return (text.length > w ? `${text.slice(0, w - 1)}…` : text).padEnd(w);
    };
    const line = (cells: string[]) => cells.map(cell).join(' '.repeat(GAP)).trimEnd();
    return [
      line(columns.map((c) => headers[c]!)),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.map((r) => line(columns.map((c) => r[c] ?? ''))),
    ].join('\n');
  }
}

/** The terminal width: the stream's columns, else `COLUMNS`, else 100. */
export function terminalWidth(stdout: { columns?: number }, env: NodeJS.ProcessEnv): number {
  return stdout.columns ?? (Number(env.COLUMNS) || 100);
}
