import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { moduleClosure } from "../../cdk/lambda.js";
import { runtimeRequires } from "../../src/api/pipelines.js";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "runnable-requires-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("packages shipped beside a Lambda bundle", () => {
  it("are the packages a pipeline folder require()s at run time — not builtins, relative files or imports", () => {
    writeFileSync(join(dir, "a.ts"), [
      'import { x } from "bundled-by-esbuild";',
      'const require = createRequire(import.meta.url);',
      'const XGBoost = await require("ml-xgboost");',
      'require("node:fs"); require("path"); require("./local.js");',
      "require('@scope/pkg/sub/path');",
    ].join("\n"));
    writeFileSync(join(dir, "notes.md"), 'require("not-code")');
    expect(runtimeRequires(dir)).toEqual(["@scope/pkg", "ml-xgboost"]);
  });

  it("include every dependency they resolve to (ml-xgboost → ml-matrix nested, is-any-array hoisted)", () => {
    const closure = moduleClosure(ROOT, ["ml-xgboost"]);
    expect(closure.map((c) => c.name)).toEqual(["ml-xgboost", "is-any-array"]);
    expect(closure.every((c) => c.dir.startsWith(join(ROOT, "node_modules")))).toBe(true);
    expect(() => moduleClosure(ROOT, ["no-such-package-here"])).toThrow(/cannot find package no-such-package-here/);
  });
});
