import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../core/package.js";

/**
 * How the user started the CLI, so the commands hints print (`… logs <id>`, `… retry <id>`) can be
 * pasted as they are: the package's bin is on PATH only when installed globally; run through npx it
 * must be `npx runnable`, through an npm script `npm run <script> --`.
 */

export interface Invocation {
  /** The process environment (npm sets npm_command, npm_lifecycle_event, npm_lifecycle_script). */
  env: Record<string, string | undefined>;
  /** The script node runs (`process.argv[1]`): the bin link, bin/runnable.js, or the CLI's entry module. */
  script: string | undefined;
  cwd: string;
  /** The package's `bin/runnable.js` (in a checkout it starts the sources in a child, whose script is src/cli/bin.ts). */
  bin: string;
}

/** The CLI's names npx may have been told (the bin, the package). */
const NAMES = new Set(["runnable", "runnable-ts"]);

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** First word of a shell command line, quotes removed (npm quotes what npx runs: `'runnable'`). */
function firstWord(line: string): string {
  return (line.trim().split(/\s+/)[0] ?? "").replace(/^['"]|['"]$/g, "");
}

/** Whether an npm script line only starts the CLI (its arguments come after `npm run <script> --`). */
function startsOnlyTheCli(line: string, script: string): boolean {
  const words = line.trim().split(/\s+/).map((w) => w.replace(/^['"]|['"]$/g, ""));
  const named = (w: string | undefined) => w !== undefined && (w === path.basename(script) || /(^|\/)runnable(\.js)?$/.test(w));
  if (words.length === 1) return named(words[0]);
  return words.length === 2 && words[0] === "node" && named(words[1]);
}

/** The command that starts this CLI again from the user's shell: "runnable", "npx runnable", "npm run runnable --", "node bin/runnable.js". */
export function cliCommand(from: Invocation = { env: process.env, script: process.argv[1], cwd: process.cwd(), bin: path.join(PACKAGE_ROOT, "bin", "runnable.js") }): string {
  const { env, script = from.bin } = from;
  const line = env.npm_lifecycle_script ?? "";
  // npx / npm exec: the command npm ran names this CLI (not a command of an npm process further up,
  // e.g. `npx vitest`, whose variables every process below it inherits).
  const word = firstWord(line);
  if (env.npm_command === "exec" && (NAMES.has(word) || word === path.basename(script))) return `npx ${word}`;
  if (env.npm_command === "run" || env.npm_command === "run-script") {
    const name = env.npm_lifecycle_event;
    if (name && startsOnlyTheCli(line, script)) return `npm run ${/^[\w:.-]+$/.test(name) ? name : JSON.stringify(name)} --`;
  }
  // On PATH (a global install, `npm link`): the plain name. Not under npm, which puts
  // node_modules/.bin on the PATH of what it runs, never on the user's shell's.
  const ours = new Set([real(script), real(from.bin)]);
  const paths = env.npm_command ? [] : (env.PATH ?? "").split(path.delimiter);
  for (const dir of paths) {
    if (!dir) continue;
    const candidate = path.join(dir, "runnable");
    if (existsSync(candidate) && ours.has(real(candidate))) return "runnable";
  }
  // A local install started some other way (an npm script with its own arguments, a bin link): npx finds it.
  if (script.split(path.sep).includes("node_modules")) return "npx runnable";
  // Started by node (`node bin/runnable.js` in a checkout): the package's bin, which runs the same code.
  const relative = path.relative(from.cwd, from.bin);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? from.bin : relative;
  return `node ${/^[\w./@+-]+$/.test(shown) ? shown : JSON.stringify(shown)}`;
}
