// `runnable-ts/cdk`: what a user's own CDK app needs to deploy pipelines.
export { RunnablePipelines, type RunnablePipelinesProps, type DeployedPipelineResources } from "./construct.js";
export { loadPipelineSources, stepFunctions, type LambdaDefaults, type StepFunctionGroup, type PipelineSource, type PipelineFileEntry } from "./sources.js";
