export * from "./types.js";
export { buildGraph, joinPath, type BuiltPipeline, type BuildOptions } from "./build.js";
export { validateGraph, validateReferences, returnsOf, returnSpecsOf, pipelineReturns, childPipelines, catalogPatternProblem } from "./validate.js";
export { toStepPath, locate, findNode, walk, type LocatedStep } from "./paths.js";
export { canonicalJson, sha256Hex } from "./hash.js";
export { reservedNameProblem, reservedNameMessage } from "./reserved.js";
export { fargateSize, resourceProblems, describeValues, BATCH_DEFAULT_SIZE, type FargateSize, type BatchDefaults } from "./resources.js";
export { AWS_LIMITS_DATE, LAMBDA_LIMITS, BATCH_LIMITS, FARGATE_SIZES } from "./aws-limits.js";
