import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeParameters } from "../../src/graph/index.js";
import { validateParameters } from "../../src/runtime/typed-parameters.js";
import { foldParameters, parseScalar } from "../../src/runtime/parameters.js";
import { ParameterError } from "../../src/sdk/errors.js";
import type { StandardSchemaV1 } from "../../src/sdk/schema.js";

const schema = z.object({
  max_depth: z.coerce.number().int().min(1).default(6).describe("depth of the trees"),
  name: z.string().describe("who to greet"),
  code: z.string().optional(),
  mode: z.enum(["fast", "exact"]).default("fast"),
});

async function problems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ParameterError);
    return (e as ParameterError).problems.map((x) => x.message);
  }
  throw new Error("expected a ParameterError");
}

describe("typed parameters (any Standard Schema)", () => {
  it("applies defaults and returns the schema's output", async () => {
    expect(await validateParameters(schema, { values: { name: "ann" } })).toEqual({ name: "ann", max_depth: 6, mode: "fast" });
  });

  it("coerces text from -p/RUNNABLE_PRM_ by the field's JSON Schema type: a string keeps 007", async () => {
    const folded = foldParameters({ env: {}, assignments: { max_depth: "3", name: "ann", code: "007" } });
    expect(folded.values).toEqual({ max_depth: 3, name: "ann", code: 7 });
    expect(await validateParameters(schema, folded)).toEqual({ max_depth: 3, name: "ann", code: "007", mode: "fast" });
  });

  it("names every parameter at fault, with the value given", async () => {
    expect(await problems(validateParameters(schema, { values: { max_depth: "abc", mode: "slow" }, texts: { max_depth: "abc" } }))).toEqual([
      'parameter "max_depth" = "abc": Invalid input: expected number, received NaN',
      'parameter "name" (not given): Invalid input: expected string, received undefined',
      expect.stringMatching(/^parameter "mode" = "slow": Invalid option: expected one of "fast"\|"exact"/),
    ]);
  });

  it("without a JSON Schema, tries parsed text first and the raw text when the schema refuses it", async () => {
    const bare: StandardSchemaV1 = { "~standard": { version: 1, vendor: "hand", validate: (v) => schema["~standard"].validate(v) } };
    const folded = foldParameters({ env: {}, assignments: { name: "true", code: "12" } });
    expect(await validateParameters(bare, folded)).toEqual({ name: "true", code: "12", max_depth: 6, mode: "fast" });
  });

  it("refuses a schema output that is not an object, or not JSON", async () => {
    expect(await problems(validateParameters(z.string() as unknown as StandardSchemaV1, { values: {} }))).toHaveLength(1);
    const dated = z.object({ when: z.coerce.date() });
    expect(await problems(validateParameters(dated, { values: { when: "2026-01-01" } }))).toEqual([
      'parameter "when": the schema\'s output is not JSON (a Date); parameters are recorded in the run log as JSON',
    ]);
  });

  it("describes the schema for --help and static checks", () => {
    const info = describeParameters(schema);
    expect(info.vendor).toBe("zod");
    expect(info.properties).toEqual([
      { name: "max_depth", type: "integer", required: false, default: 6, description: "depth of the trees" },
      { name: "name", type: "string", required: true, description: "who to greet" },
      { name: "code", type: "string", required: false },
      { name: "mode", type: '"fast" | "exact"', required: false, default: "fast" },
    ]);
    expect(info.provides?.sort()).toEqual(["max_depth", "mode", "name"]);
    expect(info.optional).toEqual(["code"]);
  });

  it("knows nothing more than the vendor of a schema without JSON Schema", () => {
    const bare: StandardSchemaV1 = { "~standard": { version: 1, vendor: "hand", validate: (v) => ({ value: v }) } };
    expect(describeParameters(bare)).toEqual({ vendor: "hand" });
  });

  it("parses -p values as YAML scalars, keeping other text as written", () => {
    expect(["6", "2.5", "true", "null", "[1, 2]", "{a: 1}", "a: b", "hello world", "", "1e400", "0x10"].map(parseScalar))
      .toEqual([6, 2.5, true, null, [1, 2], { a: 1 }, "a: b", "hello world", "", "1e400", 16]);
  });
});
