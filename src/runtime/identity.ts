import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { CodeIdentity } from "../sdk/runlog.js";

/**
 * Git answers are reused this long (ms): a process starting many runs in a row (tests, benchmarks,
 * `serve`) asks git once per burst, yet a long-lived process still sees an edit made a moment ago.
 */
const REUSE_MS = 2000;
/** Untracked names recorded in the identity (the count is always exact). */
const UNTRACKED_LISTED = 20;

const cache = new Map<string, { at: number; id: CodeIdentity }>();

function git(dir: string, args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000, maxBuffer: 16 << 20 });
}

/** What codeIdentity looks at. */
export interface CodeIdentityOptions {
  /** The pipeline's folder: untracked files under it make the identity dirty. Default: the working directory. */
  dir?: string;
  /** The pipeline file, whose sha256 is recorded (also outside git). */
  file?: string;
  /** Folders under `dir` that runs write to (the run root): what appears there is not code. */
  exclude?: string[];
}

/**
 * The code a run used: the git commit of the pipeline's folder and whether it is dirty — a tracked
 * file anywhere in the work tree changed, or a file under the pipeline's folder is untracked and not
 * ignored (a new module the pipeline imports is code the commit does not hold) — or `{ type: "none" }`
 * outside a repository (or without git); plus the sha256 of the pipeline file itself, which names
 * the code even where git cannot.
 */
export function codeIdentity(options: CodeIdentityOptions | string = {}): CodeIdentity {
  const opts = typeof options === "string" ? { dir: options } : options;
  const dir = path.resolve(opts.dir ?? process.cwd());
  const exclude = (opts.exclude ?? []).map((e) => path.relative(dir, path.resolve(e))).filter((r) => r !== "" && !r.startsWith("..") && !path.isAbsolute(r));
  const key = `${dir}\u0000${exclude.join("\u0000")}`;
  const hit = cache.get(key);
  let id: CodeIdentity;
  if (hit && Date.now() - hit.at < REUSE_MS) id = hit.id;
  else {
    id = gitIdentity(dir, exclude);
    cache.set(key, { at: Date.now(), id });
  }
  const sha256 = opts.file !== undefined ? fileSha256(opts.file) : undefined;
  return sha256 !== undefined ? { ...id, pipelineSha256: sha256 } : id;
}

function gitIdentity(dir: string, exclude: string[]): CodeIdentity {
  try {
    // One call for the commit and the tracked changes of the whole work tree …
    const status = git(dir, ["status", "--porcelain=v2", "--branch", "--untracked-files=no"]).split("\n");
    const oid = status.find((l) => l.startsWith("# branch.oid "))?.slice("# branch.oid ".length).trim();
    const changed = status.some((l) => l !== "" && !l.startsWith("#"));
    // … one for what is untracked (and not ignored) under the pipeline's folder, folders collapsed.
    const pathspec = [".", ...exclude.map((e) => `:(exclude)${e.split(path.sep).join("/")}`)];
    const untracked = git(dir, ["ls-files", "-z", "--others", "--exclude-standard", "--directory", "--", ...pathspec]).split("\0").filter(Boolean);
    const commit = oid && /^[0-9a-f]{40,64}$/.test(oid) ? oid : undefined;
    return {
      type: "git", ...(commit ? { commit } : {}),
      // A repository without a commit holds nothing yet: all of it is uncommitted.
      dirty: changed || untracked.length > 0 || !commit,
      ...(untracked.length ? { untracked: untracked.slice(0, UNTRACKED_LISTED), untrackedCount: untracked.length } : {}),
    };
  } catch {
    return { type: "none" };
  }
}

function fileSha256(file: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex");
  } catch {
    return undefined; // a pipeline built in memory (no file) or one removed since it was loaded
  }
}
