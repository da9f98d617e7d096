export * from "./types.js";
export { buildGraph, joinPath, type BuiltPipeline, type BuildOptions } from "./build.js";
export { validateGraph, returnsOf, returnSpecsOf, pipelineReturns, childPipelines, catalogPatternProblem } from "./validate.js";
export { toStepPath, locate, findNode, walk, type LocatedStep } from "./paths.js";
export { canonicalJson, sha256Hex } from "./hash.js";
export { checkParameterFlow, parameterFlow, schemaProviders, type FlowProviders, type FlowReport, type FlowRow } from "./flow.js";
export { inferReads, declaredReads } from "./reads.js";
export { suggest } from "./suggest.js";
export { describeParameters, objectProperties, jsonTypesOf } from "./parameters.js";
