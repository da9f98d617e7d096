import { describe, expect, it } from "vitest";

describe("runnable-ts/cdk", () => {
  it("exports the construct and the pipeline loader for users' own CDK apps", async () => {
    const cdk = await import("runnable-ts/cdk");
    expect(typeof cdk.RunnablePipelines).toBe("function");
    expect(typeof cdk.loadPipelineSources).toBe("function");
  });
});
