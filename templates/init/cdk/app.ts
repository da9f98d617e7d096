// The CDK app deploying this project's pipelines: `npx cdk synth` (offline, no credentials) and
// `npx cdk deploy`. Each pipeline gets a state machine and a step Lambda; they share one run bucket
// and a runs API (IAM auth). cdk-nag's AwsSolutions checks fail the synth on any finding.
import { App, Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { RunnablePipelines, loadPipelineSources } from "runnable-ts/cdk";

async function main(): Promise<void> {
  const app = new App();
  const stack = new Stack(app, "RunnablePipelines");
  // Imported and built at synth time; add your pipeline files here.
  const pipelines = await loadPipelineSources(["pipeline.ts"]);
  new RunnablePipelines(stack, "Pipelines", { pipelines, projectRoot: process.cwd() });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
