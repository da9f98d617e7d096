/** Plain-text tables for the CLI views: columns padded to their widest cell, the last one left ragged. */

export interface Column {
  title: string;
  /** Right-align (numbers, durations). */
  right?: boolean;
  /** Widest the column may get; longer cells are cut with "…". */
  max?: number;
}

/** Display width of a string: counts code points (the marks used here are one column each). */
const width = (s: string): number => [...s].length;

function cut(s: string, max: number | undefined): string {
  if (max === undefined || width(s) <= max) return s;
  return [...s].slice(0, Math.max(0, max - 1)).join("") + "…";
}

export function table(columns: Column[], rows: string[][], indent = ""): string[] {
  const cells = rows.map((r) => r.map((c, i) => cut(c, columns[i]?.max)));
  const widths = columns.map((c, i) => Math.max(width(c.title), ...cells.map((r) => width(r[i] ?? ""))));
  const line = (r: string[]) =>
    indent + r.map((c, i) => {
      const pad = " ".repeat(Math.max(0, widths[i]! - width(c)));
      if (i === r.length - 1 && !columns[i]!.right) return c;
      return columns[i]!.right ? pad + c : c + pad;
    }).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)];
}
