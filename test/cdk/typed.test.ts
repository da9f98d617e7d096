import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPipelineSources } from "../../cdk/sources.js";
import { RunnableStack } from "../../cdk/stack.js";

// Typed parameters on AWS: the API Lambda may invoke exactly the step Lambdas of pipelines with a
// schema (to validate before StartExecution), and synth applies the parameter-flow check.
const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(import.meta.dirname, "fixtures");
const flags = (JSON.parse(readFileSync(join(ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> }).context;
const outdir = mkdtempSync(join(tmpdir(), "runnable-cdk-typed-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function stackOf(files: string[]) {
  return loadPipelineSources(files.map((f) => join(FIXTURES, f))).then((sources) => {
    const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
    return Template.fromStack(new RunnableStack(app, "Typed", { pipelines: sources, projectRoot: ROOT }));
  });
}

describe("typed parameters in the stack", () => {
  it("gives the API Lambda the step Lambda of each pipeline with a schema, and only those", async () => {
    const template = await stackOf(["typed.ts", "tiny.ts"]);
    const functions = template.findResources("AWS::Lambda::Function") as Record<string, { Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
    const typedStep = Object.keys(functions).find((id) => id.startsWith("RunnablePipelinetypedStepFunction"))!;
    const api = Object.entries(functions).find(([id]) => id.startsWith("RunnableApiHandler"))![1];
    expect(JSON.stringify(api.Properties.Environment?.Variables?.RUNNABLE_STEP_FUNCTIONS)).toContain(typedStep);
    expect(JSON.stringify(api.Properties.Environment?.Variables?.RUNNABLE_STEP_FUNCTIONS)).not.toContain("RunnablePipelinetinyStepFunction");
    const policies = template.findResources("AWS::IAM::Policy") as Record<string, { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }>;
    const invoke = Object.values(policies)
      .filter((p) => p.Properties.Roles.some((r) => r.Ref.startsWith("RunnableApiHandlerRole")))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => ([] as string[]).concat(s.Action).includes("lambda:InvokeFunction"));
    expect(invoke.map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": [typedStep, "Arn"] }]);
  });

  it("refuses to synth a pipeline whose schema does not provide what a step reads", async () => {
    await expect(stackOf(["typed-unprovided.ts"])).rejects.toThrow('step "scale": reads "factr", which nothing provides before it (did you mean "factor"?)');
  });
});
