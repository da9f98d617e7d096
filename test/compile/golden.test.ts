import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPipelineFile } from "../../src/load/index.js";
import { compile, validateAsl, type CompileResult } from "../../src/compile/index.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";

// Golden ASL: reviewed fixtures in test/fixtures/<name>.asl.json. Regenerate with UPDATE_GOLDEN=1, then review the diff.
const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const update = process.env.UPDATE_GOLDEN === "1";

const text = (r: CompileResult) => JSON.stringify(r.definition, null, 2) + "\n";

function checkGolden(name: string, result: CompileResult): void {
  const file = join(FIXTURES, `${name}.asl.json`);
  if (update) writeFileSync(file, text(result));
  else if (!existsSync(file)) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  expect(text(result)).toBe(readFileSync(file, "utf8"));
}

function checkValid(result: CompileResult): void {
  const v = validateAsl(result.definition);
  expect(v.errors).toEqual([]);
  expect(v.isValid).toBe(true);
}

const examples = readdirSync(EXAMPLES).filter((d) => existsSync(join(EXAMPLES, d, "pipeline.ts"))).sort();

describe("golden ASL", () => {
  it("covers every example", () => {
    expect(examples).toEqual(expect.arrayContaining(["ml-pipeline", "map-reduce", "conditional", "on-failure", "shell-task"]));
  });

  for (const [name, make] of Object.entries(FIXTURE_PIPELINES)) {
    it(`node kind fixture "${name}" matches test/fixtures/${name}.asl.json and is valid ASL`, () => {
      const result = compile(make());
      checkGolden(name, result);
      checkValid(result);
      expect(JSON.stringify(compile(make()).definition)).toBe(JSON.stringify(result.definition));
    });
  }

  for (const example of examples) {
    it(`example "${example}" matches test/fixtures/example-${example}.asl.json, is valid and deterministic`, async () => {
      const { pipeline, fallbackName } = await loadPipelineFile(join(EXAMPLES, example, "pipeline.ts"));
      const result = compile(pipeline, { fallbackName });
      checkGolden(`example-${example}`, result);
      checkValid(result);
      expect(JSON.stringify(compile(pipeline, { fallbackName }).definition)).toBe(JSON.stringify(result.definition));
    });
  }
});
