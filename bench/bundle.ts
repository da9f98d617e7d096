// `npm run bench -- bundle`: the step Lambda bundle without user code — the handler and the
// runnable-ts modules a pipeline needs, bundled exactly as the CDK constructs bundle it
// (cdk/bundling.ts), for a pipeline that imports nothing but runnable-ts. Reports its size (raw and
// deflated, what the Lambda zip holds) and the bytes each package contributes.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";
import { BUNDLE } from "../cdk/bundling.js";
import { writeStepEntry } from "../cdk/entries.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PIPELINE = fileURLToPath(new URL("../test/cdk/fixtures/tiny.ts", import.meta.url));

export interface StepBundle {
  bytes: number;
  deflatedBytes: number;
  /** Output bytes per package (`zod`, `@smithy/core`) or per folder of this repo (`src/runtime`), largest first. */
  parts: Record<string, number>;
  code: string;
}

/** Bundles the step handler for the tiny fixture pipeline with the constructs' settings. */
export async function bundleStepHandler(): Promise<StepBundle> {
  const entry = writeStepEntry(ROOT, "bench-bundle", PIPELINE, "tiny");
  const result = await build({
    entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, metafile: true, platform: "node", format: "esm",
    minify: BUNDLE.minify, target: BUNDLE.target, mainFields: [...BUNDLE.mainFields], external: [...BUNDLE.external],
    ...(BUNDLE.conditions ? { conditions: [...BUNDLE.conditions] } : {}), banner: { js: BUNDLE.banner }, logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const parts: Record<string, number> = {};
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split("/").slice(0, -1).join("/");
      parts[pkg] = (parts[pkg] ?? 0) + bytesInOutput;
    }
  }
  const sorted = Object.fromEntries(Object.entries(parts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]));
  return { bytes: code.length, deflatedBytes: deflateRawSync(code, { level: 9 }).length, parts: sorted, code: Buffer.from(code).toString("utf8") };
}

export async function bench(): Promise<Record<string, unknown>> {
  const { bytes, deflatedBytes, parts } = await bundleStepHandler();
  return { step_bundle_bytes: bytes, step_bundle_deflated_bytes: deflatedBytes, step_bundle_parts: parts };
}
