import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { importFile, splitSpec } from "../load/index.js";
import { UsageError } from "../sdk/errors.js";
import type { JsonValue, StepFunction } from "../sdk/types.js";

/**
 * `--mock step=file.ts:fn` (repeatable): the step runs `fn` of that module instead (`file.ts` alone:
 * its default export); `--mock step=result.json` (or .yaml) returns that file's content.
 */
export async function loadMocks(list: readonly string[] = []): Promise<Record<string, StepFunction | JsonValue>> {
  const out: Record<string, StepFunction | JsonValue> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0 || eq === item.length - 1) throw new UsageError(`--mock ${JSON.stringify(item)}: expected <step>=<file.ts:function> or <step>=<file.json>`);
    const step = item.slice(0, eq);
    const { file, exportName } = splitSpec(item.slice(eq + 1));
    if ([".json", ".yaml", ".yml"].includes(extname(file)) && exportName === undefined) {
      try {
        out[step] = parseYaml(readFileSync(file, "utf8")) as JsonValue;
      } catch (e) {
        throw new UsageError(`--mock ${step}: cannot read ${file}: ${(e as Error).message}`);
      }
      continue;
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await importFile(resolve(file))) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--mock ${step}: cannot load ${file}: ${(e as Error).message.split("\n")[0]}`);
    }
    const name = exportName ?? "default";
    const value = mod[name] ?? (mod.default as Record<string, unknown> | undefined)?.[name];
    if (typeof value !== "function") throw new UsageError(`--mock ${step}: ${file} has no exported function "${name}"`);
    out[step] = value as StepFunction;
  }
  return out;
}
