// `npm run bench [-- name…]`: runs every bench/*.ts module (other than this one) that exports
// `bench()`, merges their figures with the machine's { nproc, node, date } and writes
// bench/results.json. With names, only those modules run and their figures replace the old ones.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** What a bench module exports: named figures (numbers, or small objects such as { value, peakRssMiB }). */
export type BenchFigures = Record<string, unknown>;
export type BenchModule = { bench?: () => Promise<BenchFigures> | BenchFigures };

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "results.json");
const only = process.argv.slice(2);

const modules = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".d.ts"))
  .map((f) => basename(f, ".ts"))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

// Other processes skew timings: the load when the bench started is kept beside the figures.
const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
const previous = only.length && existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as { figures?: Record<string, BenchFigures> }) : {};
const figures: Record<string, BenchFigures> = { ...(previous.figures ?? {}) };
// Each module's figures with the load average when it started (modules run at different times).
const loads: Record<string, number> = { ...((previous as { load_average_1m_by_module?: Record<string, number> }).load_average_1m_by_module ?? {}) };
let failed = false;
for (const name of modules) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchModule;
  if (typeof mod.bench !== "function") continue;
  process.stderr.write(`bench ${name} …\n`);
  loads[name] = Math.round(loadavg()[0]! * 100) / 100;
  try {
    figures[name] = await mod.bench();
    process.stderr.write(`bench ${name}: ${JSON.stringify(figures[name])}\n`);
  } catch (error) {
    failed = true;
    figures[name] = { error: error instanceof Error ? error.message : String(error) };
    process.stderr.write(`bench ${name} failed: ${String(error)}\n`);
  }
}

// Figures are also flattened to the top level (e.g. results.local_step_overhead_ms) for quick reading.
const flat = Object.assign({}, ...Object.values(figures).filter((f) => !("error" in f))) as BenchFigures;
const results = { nproc: availableParallelism(), node: process.version, date: new Date().toISOString(), load_average_1m: loadAtStart, load_average_1m_by_module: loads, ...flat, figures };
writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
process.exitCode = failed ? 1 : 0;
