// Loading pipeline files: one module for every caller (see pipeline-file.ts).
export { describeLoadError, importFile, loadPipelineFile, pipelineFromModule, type LoadedPipeline } from "./pipeline-file.js";
export { defaultParametersFile, fallbackNameOf } from "./names.js";
export { isTask, splitSpec } from "./job.js";
