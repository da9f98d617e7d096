import { FROM_SOURCE, SOURCE_CONDITION } from "../src/core/package.js";

// How every Lambda of the stack is bundled (one place: the constructs, the bundle-size test and
// `npm run bench -- bundle` use the same settings).

/**
 * AWS SDK v3 clients taken from the Lambda runtime instead of the bundle (the Secrets Manager and SSM
 * ones are loaded only by steps that declare secrets).
 */
export const RUNTIME_SDK_CLIENTS = ["@aws-sdk/client-lambda", "@aws-sdk/client-s3", "@aws-sdk/client-sfn", "@aws-sdk/client-secrets-manager", "@aws-sdk/client-ssm"];

/**
 * Left out of the bundle because a bundled handler never loads them: they serve the pipeline-file
 * loader (src/load), and a bundle's entry imports the pipeline module statically instead.
 */
export const UNUSED_IN_BUNDLE = ["tsx", "esbuild"];

export const BUNDLE = {
  minify: true,
  target: "node22",
  mainFields: ["module", "main"],
  external: [...RUNTIME_SDK_CLIENTS, ...UNUSED_IN_BUNDLE],
  /**
   * From this repo's sources, `import "runnable-ts"` in a pipeline means the sources (not dist/).
   * Naming a condition drops esbuild's default "module" one, which is what makes packages such as
   * @smithy/core resolve to their tree-shakable ESM builds (≈ 140 KB less), so it is named again.
   * Installed, esbuild's defaults apply.
   */
  conditions: FROM_SOURCE ? [SOURCE_CONDITION, "module"] : undefined,
  /** CommonJS dependencies bundled into ESM still call require() for Node built-ins. */
  banner: "import{createRequire as __rq}from'node:module';const require=__rq(import.meta.url);",
} as const;
