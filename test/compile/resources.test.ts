// AWS resource limits are checked when a pipeline is built: `run`, `compile` and the CDK app all
// refuse a size AWS would refuse (exit 2, the step and the valid range named, nothing ran).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPipelineSources } from "../../cdk/sources.js";
import { compile } from "../../src/compile/index.js";
import { AWS_LIMITS_DATE, FARGATE_SIZES, buildGraph, fargateSize, resourceProblems, type TaskNode } from "../../src/graph/index.js";
import { FunctionTask, Parallel, Pipeline } from "../../src/index.js";
import { DefinitionError } from "../../src/sdk/errors.js";
import { runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

const task = (extra: Partial<TaskNode>): TaskNode => ({
  kind: "function", name: "t", path: "t", returns: [], retry: { attempts: 1, intervalSeconds: 1, backoffRate: 2 }, compute: "lambda", ...extra,
} as TaskNode);

describe("Fargate sizes", () => {
  it("fills in the smallest partner of a lone vCPU or memory, and the defaults for neither", () => {
    expect(fargateSize(task({ compute: "batch", vcpu: 4 }))).toEqual({ vcpu: 4, memoryMiB: 8192 });
    expect(fargateSize(task({ compute: "batch", memoryMiB: 16_384 }))).toEqual({ vcpu: 2, memoryMiB: 16_384 });
    expect(fargateSize(task({ compute: "batch" }))).toEqual({ vcpu: 1, memoryMiB: 2048 });
    expect(fargateSize(task({ compute: "batch" }), { vcpu: 8 })).toEqual({ vcpu: 8, memoryMiB: 16_384 });
    expect(fargateSize(task({ compute: "batch", vcpu: 0.25, memoryMiB: 3000 }))).toBeUndefined();
  });

  it("takes every pair of the AWS table and nothing between its memory steps", () => {
    for (const [vcpu, sizes] of FARGATE_SIZES) {
      for (const memoryMiB of sizes) expect(resourceProblems(task({ compute: "batch", vcpu, memoryMiB }))).toEqual([]);
      expect(resourceProblems(task({ compute: "batch", vcpu, memoryMiB: sizes[0]! + 1 }))).toHaveLength(1);
    }
    expect([...FARGATE_SIZES.keys()]).toEqual([0.25, 0.5, 1, 2, 4, 8, 16]);
  });
});

describe("a batch Task runs on the job definition of its own size", () => {
  it("gives each Fargate size its own job definition placeholder, never a mix of two steps' maxima", () => {
    const fn = () => 1;
    const r = compile(new Pipeline({ name: "sizes", steps: [
      new FunctionTask({ name: "small", function: fn, compute: "batch", resources: { vcpu: 0.25, memoryMiB: 512 } }),
      new FunctionTask({ name: "wide", function: fn, compute: "batch", resources: { vcpu: 4 } }),
      new FunctionTask({ name: "tall", function: fn, compute: "batch", resources: { memoryMiB: 16_384, ephemeralStorageMiB: 51_200 } }),
      new FunctionTask({ name: "plain", function: fn, compute: "batch" }),
    ] }));
    expect(r.jobDefinitions).toEqual({
      JobDefinitionArn_v0_25m512: { vcpu: 0.25, memoryMiB: 512, steps: ["small"] },
      JobDefinitionArn_v1m2048: { vcpu: 1, memoryMiB: 2048, steps: ["plain"] },
      JobDefinitionArn_v2m16384s51200: { vcpu: 2, memoryMiB: 16_384, ephemeralStorageMiB: 51_200, steps: ["tall"] },
      JobDefinitionArn_v4m8192: { vcpu: 4, memoryMiB: 8192, steps: ["wide"] },
    });
    const params = (s: string) => (r.definition.States[s] as { Parameters: Record<string, unknown> }).Parameters;
    expect(params("wide").JobDefinition).toBe("${JobDefinitionArn_v4m8192}");
    expect(params("wide").ContainerOverrides).toMatchObject({ ResourceRequirements: [{ Type: "VCPU", Value: "4" }, { Type: "MEMORY", Value: "8192" }] });
    expect(params("plain").JobDefinition).toBe("${JobDefinitionArn_v1m2048}");
  });
});

interface Case {
  name: string;
  options: Record<string, unknown>;
  expect: string[];
}

// Each value the AWS documentation refuses, as a user would write it.
const CASES: Case[] = [
  { name: "Lambda memory above 10,240 MiB", options: { resources: { memoryMiB: 20000 } }, expect: ["resources.memoryMiB 20000", "128–10240 MiB", 'compute: "batch"'] },
  { name: "Lambda timeout above 900 s", options: { timeoutSeconds: 1200 }, expect: ["timeoutSeconds 1200", "limit of 900 s"] },
  { name: "Lambda ephemeral storage below 512 MiB", options: { resources: { ephemeralStorageMiB: 256 } }, expect: ["ephemeralStorageMiB 256", "512–10240 MiB"] },
  { name: "vCPU on a Lambda step", options: { resources: { vcpu: 2 } }, expect: ["resources.vcpu", 'compute: "batch" only'] },
  { name: "Fargate vCPU that is not a size", options: { compute: "batch", resources: { vcpu: 3 } }, expect: ["resources.vcpu 3", "0.25, 0.5, 1, 2, 4, 8 or 16"] },
  { name: "0.25 vCPU with 3000 MiB", options: { compute: "batch", resources: { vcpu: 0.25, memoryMiB: 3000 } }, expect: ["{ vcpu: 0.25, memoryMiB: 3000 }", "512, 1024 or 2048"] },
  { name: "4 vCPU with 2048 MiB", options: { compute: "batch", resources: { vcpu: 4, memoryMiB: 2048 } }, expect: ["{ vcpu: 4, memoryMiB: 2048 }", "8192–30720 in steps of 1024"] },
  { name: "Batch memory no vCPU takes", options: { compute: "batch", resources: { memoryMiB: 3000 } }, expect: ["memoryMiB 3000", "2048–8192 in steps of 1024"] },
  { name: "Batch timeout below 60 s", options: { compute: "batch", timeoutSeconds: 30 }, expect: ["timeoutSeconds 30", "minimum job timeout of 60 s"] },
  { name: "Fargate ephemeral storage above 200 GiB", options: { compute: "batch", resources: { ephemeralStorageMiB: 300000 } }, expect: ["ephemeralStorageMiB 300000", "21–200 GiB"] },
  { name: "arm64 on Batch", options: { compute: "batch", resources: { architecture: "arm64" } }, expect: ['architecture "arm64"', "x86_64"] },
];

const pipelineWith = (options: Record<string, unknown>) => `
import { writeFileSync } from "node:fs";
import { FunctionTask, Parallel, Pipeline } from "runnable-ts";
const first = new FunctionTask({ name: "first", function: () => { writeFileSync("ran.txt", "ran"); return 1; } });
export default new Pipeline({ name: "sized", steps: [first, new Parallel({ name: "par", branches: {
  a: new FunctionTask({ name: "big", function: () => 1, ...${JSON.stringify(options)} } as never).asPipeline() } })] });
`;

describe("resources AWS refuses are definition errors naming the step and the valid range", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_title, c) => {
    // The same pipeline the CLI cases below load, built in-process (the CLI path is shared by every definition error).
    const big = new FunctionTask({ name: "big", function: () => 1, ...c.options });
    const err = (() => {
      try {
        buildGraph(new Pipeline({ name: "sized", steps: [new Parallel({ name: "par", branches: { a: big.asPipeline() } })] }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).message).toContain('step "par.a.big"');
    for (const fragment of c.expect) expect((err as DefinitionError).message).toContain(fragment);
  });
});

describe.concurrent("through the CLI: exit 2 before anything runs", () => {
  it.each([CASES[0]!, CASES[6]!].map((c) => [c.name, c] as const))("run: %s", async (_title, c) => {
    const { dir, cleanup } = tempDir("runnable-res-");
    try {
      writePipeline(dir, "pipeline.ts", pipelineWith(c.options));
      const r = await runCli(["run", "pipeline.ts"], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('step "par.a.big"');
      for (const fragment of c.expect) expect(r.stderr).toContain(fragment);
      expect(runsIn(dir)).toEqual([]);
      expect(existsSync(join(dir, "ran.txt"))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it("compile refuses them too, every problem listed with the date of the limits", async () => {
    const { dir, cleanup } = tempDir("runnable-res-");
    try {
      writePipeline(dir, "pipeline.ts", pipelineWith({ compute: "batch", timeoutSeconds: 30, resources: { vcpu: 0.25, memoryMiB: 3000 } }));
      const r = await runCli(["compile", "pipeline.ts"], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("invalid pipeline (2 problems)");
      expect(r.stderr).toContain(`limits of ${AWS_LIMITS_DATE}`);
      expect(r.stdout).toBe("");
    } finally {
      cleanup();
    }
  });
});

describe("the CDK app refuses them at synth", () => {
  it("loadPipelineSources (what cdk/app.ts calls) throws the DefinitionError naming the step", async () => {
    const { dir, cleanup } = tempDir("runnable-res-");
    try {
      const file = writePipeline(dir, "pipeline.ts", pipelineWith({ resources: { memoryMiB: 20000 } }));
      const err = await loadPipelineSources([file]).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DefinitionError);
      expect((err as DefinitionError).problems).toEqual([{ path: "par.a.big", code: "invalid-resources", message: expect.stringContaining("128–10240 MiB") }]);
    } finally {
      cleanup();
    }
  });
});
