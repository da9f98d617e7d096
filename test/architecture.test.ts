import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The definition layer must load anywhere (Lambda bundle, browser tooling): no fs, no child_process, no AWS SDK.
const FORBIDDEN = /from\s+["'](node:)?(fs|fs\/promises|child_process|@aws-sdk\/[^"']+)["']|import\(\s*["'](node:)?(fs|child_process)/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []);
}

describe("layering", () => {
  for (const dir of ["src/sdk", "src/graph"]) {
    it(`${dir} imports no fs, child_process or AWS SDK`, () => {
      const offenders = files(dir).filter((f) => FORBIDDEN.test(readFileSync(f, "utf8")));
      expect(offenders).toEqual([]);
    });
  }
});
