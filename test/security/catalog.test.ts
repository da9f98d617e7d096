// Issue 10, repro 4: `put: ["**/*"]` from a folder holding the run store, `.git/` and secrets stores
// none of them: globs never match dot-files/folders unless a pattern segment names them, never `.git`,
// never the run-log/catalog folder — so the catalog no longer grows with every run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Catalog, Pipeline, ShellTask } from "../../src/index.js";
import { fsStores } from "../../src/store/index.js";
import { runLocal, tempDir } from "../execute/helpers.js";

/** A project folder with what must never reach a catalog by a broad glob. */
function project(): string {
  const dir = tempDir("catalog-glob-");
  const files: Record<string, string> = {
    ".git/config": "[core]", ".git/objects/ab/cd": "blob", ".env": "TOKEN=secret", ".ssh/id_rsa": "KEY",
    "data/a.csv": "1,2", "data/.hidden": "h", "config/.settings": "s", "report.txt": "r",
  };
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

const putAll = (put: string[]) => new Pipeline({ steps: [new ShellTask({ name: "keep", command: "true", catalog: new Catalog({ put }) })] });
const stored = async (run: Awaited<ReturnType<typeof runLocal>>) => (await run.stores.catalog.list(run.runId)).filter((n) => !n.endsWith(".execution.log")).sort();

describe("catalog globs", () => {
  it("**/* stores neither the run store (.runnable/), .git/, .env nor .ssh/, and does not grow over runs", async () => {
    const dir = project();
    const stores = fsStores(join(dir, ".runnable"));
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runLocal(putAll(["**/*"]), { stores, workDir: dir });
      expect(run.status).toBe("SUCCESS");
      expect(await stored(run)).toEqual(["data/a.csv", "report.txt"]);
      counts.push((await run.stores.catalog.list(run.runId)).length);
    }
    expect(counts).toEqual([3, 3, 3]);
  });

  it("a store folder without a dot (--root store) is never matched either, even by name", async () => {
    const dir = project();
    const stores = fsStores(join(dir, "store"));
    await runLocal(putAll(["**/*"]), { stores, workDir: dir });
    const run = await runLocal(putAll(["**/*", "store/**", "store/*/*/*"]), { stores, workDir: dir });
    expect(await stored(run)).toEqual(["data/a.csv", "report.txt"]);
  });

  it("dot-files are matched when a pattern segment names the dot (picomatch dot: false); .git never by a glob", async () => {
    const dir = project();
    const run = await runLocal(putAll([".env", "config/.*", "data/.h*", ".git/**", "**/.git/*", ".ssh/*"]), { stores: fsStores(join(dir, ".runnable")), workDir: dir });
    expect(await stored(run)).toEqual([".env", ".ssh/id_rsa", "config/.settings", "data/.hidden"]);
  });

  it("get globs follow the same rule over the run's catalog", async () => {
    const dir = project();
    const stores = fsStores(join(dir, ".runnable"));
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "put", command: "true", catalog: new Catalog({ put: ["data/*", "data/.hidden", ".env"] }) }),
      new ShellTask({ name: "get", command: "true", catalog: new Catalog({ get: ["**/*", ".e*"] }) }),
    ] }), { stores, workDir: dir });
    expect(run.log.steps.get!.catalog.filter((c) => c.stage === "get").map((c) => c.name).sort()).toEqual([".env", "data/a.csv", "put.execution.log"]);
  });
});
