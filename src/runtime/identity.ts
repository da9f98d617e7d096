import { execFileSync } from "node:child_process";
import path from "node:path";
import type { CodeIdentity } from "../sdk/runlog.js";

const cache = new Map<string, CodeIdentity>();

function git(dir: string, args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
}

/**
 * The code a run used: the git commit of `dir` and whether the work tree has uncommitted changes,
 * or `{ type: "none" }` outside a repository (or without git). Cached per directory and process.
 */
export function codeIdentity(dir: string = process.cwd()): CodeIdentity {
  const key = path.resolve(dir);
  const hit = cache.get(key);
  if (hit) return hit;
  let id: CodeIdentity;
  try {
    const commit = git(key, ["rev-parse", "HEAD"]);
    const dirty = git(key, ["status", "--porcelain", "--untracked-files=no"]) !== "";
    id = { type: "git", commit, dirty };
  } catch {
    id = { type: "none" };
  }
  cache.set(key, id);
  return id;
}
