import { readFile } from "node:fs/promises";
import path from "node:path";
import type { NotebookNode } from "../../graph/types.js";
import type { Step } from "../../sdk/step.js";

/**
 * Reading a notebook's shape in Node, before any kernel starts: which cell is tagged `parameters`
 * and which names it assigns. Like papermill, assignments are found line by line (a statement at the
 * start of a line: `name = …`, `name: type = …`, `a, b = …`), so the names are known without Python.
 */

/** What runnable needs to know of a notebook. */
export interface NotebookShape {
  /** Number of cells. */
  cells: number;
  /** 0-based index of the first code cell tagged `parameters`; undefined when there is none. */
  parametersCell: number | undefined;
  /** Names the parameters cell assigns, in order of first assignment. */
  parameters: string[];
}

const TARGETS = /^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*(?::[^=]*)?=(?!=)/;
const KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
  "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
  "pass", "raise", "return", "try", "while", "with", "yield", "match", "case",
]);

/** Names assigned at the top level of a cell's source (papermill's rule: one statement per line start). */
export function assignedNames(source: string): string[] {
  const names: string[] = [];
  for (const line of source.split(/\r?\n/)) {
    const m = TARGETS.exec(line);
    if (!m) continue;
    const targets = m[1]!.split(",").map((t) => t.trim());
    if (targets.some((t) => KEYWORDS.has(t))) continue;
    for (const t of targets) if (!names.includes(t)) names.push(t);
  }
  return names;
}

function sourceOf(cell: Record<string, unknown>): string {
  const s = cell.source;
  if (typeof s === "string") return s;
  return Array.isArray(s) ? s.filter((x): x is string => typeof x === "string").join("") : "";
}

function tagsOf(cell: Record<string, unknown>): unknown[] {
  const meta = cell.metadata;
  const tags = typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>).tags : undefined;
  return Array.isArray(tags) ? tags : [];
}

/** Parses notebook JSON text (nbformat 4); throws an Error saying what is wrong with it. */
export function parseNotebook(text: string): NotebookShape {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`it is not a notebook (not JSON: ${(e as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as Record<string, unknown>).cells)) {
    throw new Error("it is not a notebook (no \"cells\" list)");
  }
  const { nbformat, cells } = doc as { nbformat?: unknown; cells: unknown[] };
  if (nbformat !== 4) throw new Error(`it is nbformat ${JSON.stringify(nbformat)}: only nbformat 4 notebooks are supported (open and save it with Jupyter to convert it)`);
  let parametersCell: number | undefined;
  cells.forEach((c, i) => {
    if (parametersCell !== undefined || typeof c !== "object" || c === null) return;
    const cell = c as Record<string, unknown>;
    if (cell.cell_type === "code" && tagsOf(cell).includes("parameters")) parametersCell = i;
  });
  const parameters = parametersCell === undefined ? [] : assignedNames(sourceOf(cells[parametersCell] as Record<string, unknown>));
  return { cells: cells.length, parametersCell, parameters };
}

/**
 * The notebook file of a step: its path resolved against the folder of the file that constructed the
 * NotebookTask (the loaded pipeline's SDK step), else against the working directory.
 */
export function notebookFile(node: NotebookNode, step: Step | undefined, workDir: string): string {
  const definedIn = step?.kind === "notebook" ? step.definedIn : undefined;
  return path.resolve(definedIn ? path.dirname(definedIn) : workDir, node.notebook);
}

/** Reads and parses a step's notebook; the error names the step and the file. */
export async function readNotebook(stepPath: string, file: string): Promise<NotebookShape> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`step "${stepPath}": notebook ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (e as Error).message})`}`);
  }
  try {
    return parseNotebook(text);
  } catch (e) {
    throw new Error(`step "${stepPath}": notebook ${file}: ${(e as Error).message}`);
  }
}
