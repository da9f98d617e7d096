import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

/**
 * How the user started the CLI, so the commands hints print (`… logs <id>`, `… retry <id>`) can be
 * pasted as they are: the package's bin is on PATH only when installed globally; run through npx it
 * must be `npx runnable`, through an npm script `npm run <script> --`.
 */

export interface Invocation {
  /** The process environment (npm sets npm_command, npm_lifecycle_event, npm_lifecycle_script). */
  env: Record<string, string | undefined>;
  /** The script node runs (`process.argv[1]`): the bin link, or bin/runnable.js itself. */
  script: string | undefined;
  cwd: string;
}

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
export function cliCommand(from: Invocation = { env: process.env, script: process.argv[1], cwd: process.cwd() }): string {
  const { env, script } = from;
  if (!script) return "runnable";
  const bin = path.basename(script);
  const line = env.npm_lifecycle_script ?? "";
  // npx / npm exec: the command npm ran is the bin link node runs (not an npm process further up).
  if (env.npm_command === "exec" && firstWord(line) === bin) return `npx ${bin}`;
  if (env.npm_command === "run" || env.npm_command === "run-script") {
    const name = env.npm_lifecycle_event;
    if (name && startsOnlyTheCli(line, script)) return `npm run ${/^[\w:.-]+$/.test(name) ? name : JSON.stringify(name)} --`;
  }
  // On PATH (a global install, or a shell with node_modules/.bin on PATH): the plain name. Not under
  // npm, which puts node_modules/.bin on the PATH of what it runs, never on the user's shell's.
  const target = real(script);
  const paths = env.npm_command ? [] : (env.PATH ?? "").split(path.delimiter);
  for (const dir of paths) {
    if (!dir) continue;
    const candidate = path.join(dir, "runnable");
    if (existsSync(candidate) && real(candidate) === target) return "runnable";
  }
  // A local install started some other way (an npm script with its own arguments, a bin link): npx finds it.
  if (script.split(path.sep).includes("node_modules")) return "npx runnable";
  // `node bin/runnable.js` in a checkout: the same again.
  const relative = path.relative(from.cwd, script);
  const shown = relative.startsWith("..") || path.isAbsolute(relative) ? script : relative;
  return `node ${/^[\w./@+-]+$/.test(shown) ? shown : JSON.stringify(shown)}`;
}
