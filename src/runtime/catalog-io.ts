import { stat } from "node:fs/promises";
import path from "node:path";
import { escapePath, glob } from "tinyglobby";
import picomatch from "picomatch";
import type { CatalogSpec } from "../graph/types.js";
import type { CatalogEntry } from "../sdk/runlog.js";
import { checkCatalogName, isGlob, resolveInside } from "../store/safe-path.js";
import type { StepContext } from "./context.js";

/**
 * How globs match (`get` and `put` alike), picomatch's `dot: false`: `*` and `**` never match a name
 * starting with "." — dot-files and dot-folders (`.env`, `.ssh/`, `.runnable/`) are only matched by
 * a pattern segment that starts with "." itself (`.env`, `config/.*`). Plain names are taken as named.
 */
const GLOB_DOT = false;

/**
 * What a `put` glob never matches, even when named: `.git` folders, and the folder the run log and
 * catalog live in when it is inside the working directory (a `**` glob would otherwise copy the
 * store into itself, growing every run).
 */
function putExclusions(ctx: StepContext): string[] {
  const out = ["**/.git", "**/.git/**"];
  const store = ctx.stores.blob.directory;
  if (store) {
    const rel = path.relative(path.resolve(ctx.workDir), store);
    if (rel === "") return ["**"];
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) {
      const base = escapePath(rel.split(path.sep).join("/"));
      out.push(base, `${base}/**`);
    }
  }
  return out;
}

/**
 * Copies the step's `get` names and globs from the run's catalog into the working directory.
 * Globs are matched against a listing of the run's catalog; a plain name that is missing fails the step.
 */
export async function catalogGet(ctx: StepContext, runId: string, spec: CatalogSpec): Promise<CatalogEntry[]> {
  if (spec.get.length === 0) return [];
  let listing: string[] | undefined;
  const names: string[] = [];
  for (const pattern of spec.get) {
    if (isGlob(pattern)) {
      listing ??= await ctx.stores.catalog.list(runId);
      const match = picomatch(pattern, { dot: GLOB_DOT });
      names.push(...listing.filter((n) => match(n)));
    } else names.push(checkCatalogName(pattern));
  }
  const entries: CatalogEntry[] = [];
  for (const name of [...new Set(names)]) {
    const dest = await resolveInside(ctx.workDir, name);
    const digest = await ctx.stores.catalog.get(runId, name, dest);
    if (!digest) throw new Error(`catalog.get: "${name}" is not in run ${runId}'s catalog (no earlier step put it)`);
    entries.push({ name, stage: "get", md5: digest.md5, size: digest.size });
  }
  return entries;
}

/**
 * Stores the working-directory files matching the step's `put` patterns. A plain name the step did
 * not create fails the step; a glob matching nothing stores nothing. A symlink is stored as its
 * target's content when it stays inside the working directory, and refused (UnsafePathError) when it
 * leads outside — whether named plainly or matched by a glob (globs with "**" do not match symlinks).
 */
export async function catalogPut(ctx: StepContext, runId: string, spec: CatalogSpec): Promise<CatalogEntry[]> {
  if (spec.put.length === 0) return [];
  const files = new Map<string, string>();
  const ignore = putExclusions(ctx);
  for (const pattern of spec.put) {
    // Symlinks are matched (then checked by resolveInside) except under "**", where following them
    // could walk the whole file system through a link to "/".
    const candidates = isGlob(pattern)
      ? (await glob([pattern], { cwd: ctx.workDir, onlyFiles: true, dot: GLOB_DOT, ignore, followSymbolicLinks: !pattern.includes("**"), expandDirectories: false })).sort()
      : [checkCatalogName(pattern)];
    for (const name of candidates) {
      const file = await resolveInside(ctx.workDir, checkCatalogName(name));
      const kind = await stat(file).then((st) => (st.isFile() ? "file" : "other"), () => "missing");
      if (kind === "file") files.set(name, file);
      else if (!isGlob(pattern)) {
        throw new Error(`catalog.put: "${pattern}" ${kind === "missing" ? "was not found" : "is not a file"} in the working directory ${ctx.workDir} after the step`);
      }
    }
  }
  const entries: CatalogEntry[] = [];
  for (const [name, file] of files) entries.push(await putOne(ctx, runId, name, file, spec.storeCopy));
  return entries;
}

/** Stores one file under a catalog name and returns its entry. */
export async function putOne(ctx: StepContext, runId: string, name: string, file: string, storeCopy = true): Promise<CatalogEntry> {
  const digest = await ctx.stores.catalog.put(runId, name, file, { storeCopy });
  return { name, stage: "put", md5: digest.md5, size: digest.size, ...(storeCopy ? {} : { stored: false }) };
}
