import { existsSync, readFileSync } from "node:fs";
import { extname, relative } from "node:path";
import type { BuildFailure } from "esbuild";

/**
 * Syntax errors of pipeline files (and the modules they import), located: `file:line:column`, the
 * message, and the source line with a caret. tsx reports esbuild's first error as one line of text
 * (sometimes naming the file with another extension), and Node's own SyntaxErrors may carry no
 * position at all; so the culprit file is parsed again with esbuild, whose messages are exact.
 */

/** Where a syntax error is. `line` and `column` are 1-based (what editors and terminals link to). */
export interface SyntaxLocation {
  file: string;
  line: number;
  column: number;
  lineText: string;
  /** Characters to underline (at least 1). */
  length: number;
  message: string;
}

const ESBUILD_ERROR = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m;
const V8_ARROW = /^(.+?):(\d+)\n(.*)\n( *)(\^+)\s*$/m;
const EXTENSIONS = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs", ".jsx"];

/** Whether a load error is a syntax error (esbuild's TransformError or V8's SyntaxError). */
export function isSyntaxError(error: unknown): error is Error {
  return error instanceof Error && (error.name === "TransformError" || error instanceof SyntaxError || error.name === "SyntaxError");
}

/** Locates a syntax error thrown while loading `entry`; undefined when no position can be found. */
export async function locateSyntaxError(error: Error, entry: string): Promise<SyntaxLocation | undefined> {
  const reported = ESBUILD_ERROR.exec(error.message);
  const arrow = V8_ARROW.exec(error.stack ?? "");
  const file = existingFile(reported?.[1]) ?? existingFile(arrow?.[1]) ?? entry;
  const parsed = await parseWithEsbuild(file);
  if (parsed) return parsed;
  if (arrow && existingFile(arrow[1]) === file) {
    return { file, line: Number(arrow[2]), column: arrow[4]!.length + 1, lineText: arrow[3]!, length: arrow[5]!.length, message: error.message };
  }
  if (reported) {
    const line = Number(reported[2]);
    const lineText = readFileSync(file, "utf8").split(/\r?\n/)[line - 1] ?? "";
    return { file, line, column: Number(reported[3]) + 1, lineText, length: 1, message: reported[4]! };
  }
  return undefined;
}

/** `file:line:column: message`, the source line and a caret under the column, indented for an error block. */
export function formatSyntaxLocation(loc: SyntaxLocation, cwd = process.cwd()): string {
  const shown = relative(cwd, loc.file).startsWith("..") ? loc.file : relative(cwd, loc.file);
  const gutter = String(loc.line);
  const pad = " ".repeat(gutter.length);
  // Keep tabs from the source line so the caret lands under the right character.
  const lead = loc.lineText.slice(0, loc.column - 1).replace(/[^\t]/g, " ");
  return [
    `${shown}:${loc.line}:${loc.column}: ${loc.message}`,
    `  ${gutter} | ${loc.lineText}`,
    `  ${pad} | ${lead}${"^".repeat(Math.max(1, loc.length))}`,
  ].join("\n");
}

/**
 * A path as tsx or Node reported it, mapped to a file that exists: tsx sometimes names `x.mjs` as
 * `x.js` or `x.cts` as `x.ts`, and URLs carry a `?namespace=…` query.
 */
function existingFile(reported: string | undefined): string | undefined {
  if (!reported) return undefined;
  const path = reported.startsWith("file://") ? decodeURIComponent(new URL(reported).pathname) : reported.replace(/\?.*$/, "");
  if (existsSync(path)) return path;
  const stem = path.slice(0, path.length - extname(path).length);
  return EXTENSIONS.map((ext) => stem + ext).find((candidate) => existsSync(candidate));
}

async function parseWithEsbuild(file: string): Promise<SyntaxLocation | undefined> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const ext = extname(file);
  const loader = ext === ".tsx" ? "tsx" : ext === ".jsx" ? "jsx" : /^\.[cm]?ts$/.test(ext) ? "ts" : "js";
  const { transform } = await import("esbuild");
  try {
    await transform(text, { loader, sourcefile: file, logLevel: "silent" });
    return undefined;
  } catch (error) {
    const first = isFailure(error) ? error.errors[0] : undefined;
    if (!first?.location) return undefined;
    const { line, column, length, lineText } = first.location;
    // esbuild counts columns in bytes from 0.
    const chars = Buffer.from(lineText).subarray(0, column).toString("utf8").length;
    return { file, line, column: chars + 1, lineText, length: Math.max(1, length), message: first.text };
  }
}

function isFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}
