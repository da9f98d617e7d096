import { type App, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { RunnablePipelines, type RunnablePipelinesProps } from "./construct.js";

/** A stack holding one `RunnablePipelines` deployment (what `cdk/app.ts` synthesises). */
export class RunnableStack extends Stack {
  readonly runnable: RunnablePipelines;
  constructor(app: App, id: string, props: RunnablePipelinesProps & { stackProps?: StackProps }) {
    super(app, id, { description: "runnable-ts pipelines: run bucket, step Lambdas, state machines, runs API", ...props.stackProps });
    this.runnable = new RunnablePipelines(this, "Runnable", props);
  }
}

/** cdk-nag AwsSolutions as a policy-validation plugin: any unacknowledged finding fails synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
