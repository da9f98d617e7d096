import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/**
 * The name a Pipeline without `name` gets, from its file: the folder name for `pipeline.<ext>`, else
 * the file's base name. One rule for every caller (CLI, execute(), handlers, serve, CDK): the name is
 * part of the graph's dagHash, so two callers disagreeing would make runs unretryable.
 * `examples/ml-pipeline/pipeline.ts` → "ml-pipeline"; `flows/nightly.ts` → "nightly"; a one-task job
 * `jobs.ts:train` → "train".
 */
export function fallbackNameOf(file: string): string {
  const job = /\.[cm]?[jt]sx?:([A-Za-z_$][\w$]*)$/.exec(file);
  if (job && !existsSync(file)) return clean(job[1]!);
  const base = basename(file).replace(/\.[cm]?[jt]sx?$/, "");
  return clean(base === "pipeline" ? basename(dirname(resolve(file))) : base);
}

/** Folder/file names may hold characters step names cannot: keep the name valid rather than fail on it. */
function clean(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z]+/, "").slice(0, 64);
  return cleaned || "pipeline";
}

/** The `parameters.yaml` (or .yml/.json) beside a pipeline file, used when no parameters file is given. */
export function defaultParametersFile(source: string): string | undefined {
  for (const name of ["parameters.yaml", "parameters.yml", "parameters.json"]) {
    const candidate = join(dirname(source), name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
