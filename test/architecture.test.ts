import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The definition layer must load anywhere (Lambda bundle, browser tooling): no fs, no child_process, no AWS SDK.
const FORBIDDEN = /from\s+["'](node:)?(fs|fs\/promises|child_process|@aws-sdk\/[^"']+)["']|import\(\s*["'](node:)?(fs|child_process)/;

const ROOT = resolve(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

describe("layering", () => {
  for (const dir of ["src/sdk", "src/graph"]) {
    it(`${dir} imports no fs, child_process or AWS SDK`, () => {
      const offenders = files(join(ROOT, dir)).filter((f) => FORBIDDEN.test(readFileSync(f, "utf8")));
      expect(offenders).toEqual([]);
    });
  }
});

/**
 * The layer order (ARCHITECTURE.md draws it): a folder may import only folders in LOWER layers. Folders
 * are src/<folder>, plus handlers/ and cdk/; src/index.ts is the package entry ("index").
 */
const LAYERS: string[][] = [
  ["core", "sdk"],                         // 0 no dependencies: protocol constants, package paths, the user-facing SDK
  ["graph"],                               // 1 the checked pipeline graph built from SDK definitions
  ["store", "compile", "view", "load", "init"], // 2 stores, ASL compiler, drawing, the pipeline loader, templates
  ["runtime"],                             // 3 runs one step (in-process, Lambda or Batch)
  ["execute"],                             // 4 local runs
  ["emulate"],                             // 5 the Step Functions emulator
  ["api"],                                 // 6 the runs API (local and AWS)
  ["handlers"],                            // 7 Lambda / Batch entry points
  ["ui"],                                  // 8 runnable ui (server + web assets)
  ["cli", "cdk"],                          // 9 the command line, the CDK construct
  ["index"],                               // 10 the package entry
];

/**
 * Imports that go UP the layers today (each one closes a folder cycle). The list may only shrink: the
 * test fails on a new one, and on a listed one that is gone (delete it here when you remove it).
 */
const KNOWN_UPWARD = [
  "emulate -> handlers", // src/emulate/worker-child.ts runs handlers/step.ts in-process: move the handler logic into src/
  "execute -> emulate",  // src/execute/index.ts uses emulate/storage.ts (and loads the emulator lazily): an application layer owns both
  "ui -> cli",           // src/ui/api-source.ts imports cli/commands/remote.ts (the remote API client): belongs in src/api
];

/** Folder cycles today (strongly connected folders). Same rule: may only shrink. */
const KNOWN_CYCLES = [
  "api -> emulate -> execute -> handlers", // execute ↔ emulate, and api → emulate → handlers → api
  "cli -> ui",
];

/** Dynamic imports with a computed specifier hide an edge from this test and from tsc. May only shrink. */
const KNOWN_HIDDEN_IMPORTS = ["src/execute/index.ts"];

function folderOf(file: string): string | undefined {
  const parts = relative(ROOT, file).split("/");
  if (parts[0] === "src") return parts.length > 2 ? parts[1] : "index";
  if (parts[0] === "handlers" || parts[0] === "cdk") return parts[0];
  return undefined;
}

function sourceFiles(): string[] {
  return ["src", "handlers", "cdk"].flatMap((d) => files(join(ROOT, d)));
}

/** folder → folders it imports (static imports, re-exports, `import type`, `import("literal")`). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const from = folderOf(file);
    if (from === undefined) continue;
    const targets = graph.get(from) ?? new Set<string>();
    graph.set(from, targets);
    for (const ref of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const to = folderOf(resolve(dirname(file), ref.fileName));
      if (to !== undefined && to !== from) targets.add(to);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one folder, each as sorted names. */
function cycles(graph: Map<string, Set<string>>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort().join(" -> "));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found.sort();
}

describe("folder layers", () => {
  const graph = folderGraph();
  const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));

  it("every folder has a layer", () => {
    const folders = new Set([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])]);
    expect([...folders].filter((f) => !rank.has(f)).sort()).toEqual([]);
  });

  it("imports go down the layers (the known upward imports may only shrink)", () => {
    const upward: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) if (rank.get(to)! >= rank.get(from)!) upward.push(`${from} -> ${to}`);
    }
    expect(upward.sort()).toEqual([...KNOWN_UPWARD].sort());
  });

  it("no folder cycles beyond the known ones (which may only shrink)", () => {
    expect(cycles(graph)).toEqual([...KNOWN_CYCLES].sort());
  });

  it("no dynamic import with a computed specifier beyond the known ones", () => {
    const hidden = sourceFiles()
      .filter((f) => /\bimport\(\s*(?!["'`])/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(hidden.sort()).toEqual([...KNOWN_HIDDEN_IMPORTS].sort());
  });

  it("the cycle finder sees a cycle (guards the guard)", () => {
    const g = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])], ["d", new Set(["a"])]]);
    expect(cycles(g)).toEqual(["a -> b -> c"]);
  });
});
