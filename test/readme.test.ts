// The README's commands, run as written: every ```sh block preceded by `<!-- readme-test: run -->` is
// run line by line with bash in a scratch copy of the checkout (its tracked top-level entries and
// node_modules linked in), so what the README promises is what a user gets. `<runId>` stands for a
// run the earlier lines made. Lines that must not run here are listed in SKIPPED with the reason.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runCommand } from "./helpers/cli.js";

const MARKER = "<!-- readme-test: run -->";

/** Commands of marked blocks that are not run, and why. */
const SKIPPED: Record<string, string> = {
  "npm install": "CI installs the dependencies before the tests; here it would rewrite the checkout's node_modules",
  "npm test": "the test suite this test is part of",
};

/** The command lines of every marked block, in README order (comments and blank lines dropped). */
export function markedCommands(readme: string): string[][] {
  const blocks: string[][] = [];
  const lines = readme.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARKER) continue;
    if (!/^```(sh|bash)\s*$/.test(lines[i + 1] ?? "")) throw new Error(`README line ${i + 1}: ${MARKER} must come right before a \`\`\`sh block`);
    const block: string[] = [];
    for (let j = i + 2; j < lines.length && !lines[j]!.startsWith("```"); j++) {
      const command = lines[j]!.replace(/\s+#.*$/, "").trim();
      if (command && !command.startsWith("#")) block.push(command);
    }
    blocks.push(block);
  }
  return blocks;
}

const readme = readFileSync(join(REPO, "README.md"), "utf8");
const blocks = markedCommands(readme);
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "runnable-readme-"));
  const tracked = execFileSync("git", ["ls-files"], { cwd: REPO, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const top of new Set([...tracked.map((f) => f.split("/")[0]!), "node_modules"])) {
    if (existsSync(join(REPO, top))) symlinkSync(join(REPO, top), join(scratch, top));
  }
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Newest first: the run ids the commands so far have made in the scratch checkout. */
function runIds(): string[] {
  const dir = join(scratch, ".runnable", "runs");
  return existsSync(dir) ? readdirSync(dir).sort().reverse() : [];
}

describe("the README's marked commands", () => {
  it("marks the Quick start's commands: the ML example runs here, the test command is the suite itself", () => {
    const all = blocks.flat();
    expect(all).toContain("npx runnable run examples/ml-pipeline/pipeline.ts");
    expect(all).toContain("npm test");
    // Every skip names a command the README still shows (no stale excuses).
    for (const command of Object.keys(SKIPPED)) expect(all).toContain(command);
  });

  it("runs every marked command as written, each exiting 0", async () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const command of blocks.flat()) {
      if (command in SKIPPED) continue;
      let n = 0;
      const line = command.replace(/<runId>/g, () => {
        const ids = runIds();
        const id = ids[Math.min(n++, ids.length - 1)];
        if (!id) throw new Error(`"${command}" needs a run, and no earlier command made one`);
        return id;
      });
      const before = readdirSync(scratch);
      const run = await runCommand("bash", ["-c", line], { cwd: scratch });
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      if (command === "npx runnable run examples/ml-pipeline/pipeline.ts") {
        // The report the Quick start shows.
        expect(run.stdout).toContain("ML Pipeline Report");
        expect(run.stdout).toMatch(/Best model: (RandomForest|XGBoost) \(accuracy 0\.\d{3}\)/);
        expect(run.stderr).toContain("SUCCESS");
        // The checkout is left as it was (only the store appears); the step files are in the catalog.
        expect(readdirSync(scratch).filter((f) => !before.includes(f))).toEqual(before.includes(".runnable") ? [] : [".runnable"]);
        const catalog = join(scratch, ".runnable", "catalog", runIds()[0]!);
        for (const file of ["customers.csv", "features.csv", "rf_model.json", "xgb_model.json", "best_model.json", "ml_report.txt"]) {
          expect(existsSync(join(catalog, file)), file).toBe(true);
        }
      }
    }
    // The graph command wrote its picture where it said.
    expect(readFileSync(join(scratch, "ml.svg"), "utf8")).toMatch(/^<svg /);
  }, 300_000);
});
