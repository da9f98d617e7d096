// `npm run bench -- cdk`: synthesises the repo's CDK app (every example, bundling on, cdk-nag on)
// offline into a temp dir, timing it, and reports the Lambda bundle sizes (raw and deflated, which
// is what the Lambda zip holds) and the template's resource count.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deflateRawSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const STACK = "BenchRunnable";

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> };

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

export async function bench(): Promise<Record<string, unknown>> {
  const out = mkdtempSync(join(tmpdir(), "runnable-bench-cdk-"));
  try {
    const started = performance.now();
    await promisify(execFile)(join(ROOT, "node_modules", ".bin", "cdk"), ["synth", "--no-notices", "-q", "-o", out, "-c", `stackName=${STACK}`], {
      cwd: ROOT, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" }, maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = (performance.now() - started) / 1000;
    const template = JSON.parse(readFileSync(join(out, `${STACK}.template.json`), "utf8")) as { Resources: Record<string, Resource> };
    const bundles: Record<string, { bytes: number; deflatedBytes: number; folderBytes: number }> = {};
    for (const r of Object.values(template.Resources)) {
      const asset = r.Metadata?.["aws:asset:path"];
      if (r.Type !== "AWS::Lambda::Function" || !asset) continue;
      const file = join(out, asset, "index.mjs");
      const code = readFileSync(file);
      const name = String(r.Properties.Description).replace(/^runnable-ts step handler of pipeline /, "step:").replace(/^runnable-ts runs API.*/, "api");
      bundles[name] = { bytes: code.length, deflatedBytes: deflateRawSync(code, { level: 9 }).length, folderBytes: dirBytes(join(out, asset)) };
    }
    const steps = Object.entries(bundles).filter(([k]) => k.startsWith("step:")).map(([, v]) => v.bytes);
    return {
      cdk_synth_seconds: Number(seconds.toFixed(1)),
      cdk_resources: Object.keys(template.Resources).length,
      cdk_step_bundle_max_bytes: Math.max(...steps),
      cdk_api_bundle_bytes: bundles.api?.bytes,
      cdk_bundles: bundles,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
