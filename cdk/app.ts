// The repo's CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs it with tsx).
// Deploys every example (`examples/*/pipeline.ts`) unless `-c pipelines=a.ts,b.ts` names files;
// `-c stackName=…` names the stack (default "RunnablePipelines"). Synth works offline without credentials.
import { App } from "aws-cdk-lib";
import { resolve } from "node:path";
import { globSync } from "tinyglobby";
import { PACKAGE_ROOT } from "../src/core/package.js";
import { loadPipelineSources } from "./sources.js";
import { RunnableStack, addNagChecks } from "./stack.js";

const app = new App();
const chosen = app.node.tryGetContext("pipelines") as string | undefined;
const files = chosen
  ? chosen.split(",").map((f) => resolve(f.trim())).filter(Boolean)
  : globSync("examples/*/pipeline.ts", { cwd: PACKAGE_ROOT, absolute: true }).sort();
const pipelines = await loadPipelineSources(files);
new RunnableStack(app, (app.node.tryGetContext("stackName") as string | undefined) ?? "RunnablePipelines", {
  pipelines,
  projectRoot: PACKAGE_ROOT,
  stackProps: { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } },
});
addNagChecks(app);
app.synth();
