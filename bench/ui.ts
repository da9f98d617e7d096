// The web UI: bundle sizes, and how long the run page of a 1,000-step run (a 1,000-item Map) takes
// to show its DAG and timeline in headless Chromium, from navigation to drawn (median of 5 loads).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { runPipeline } from "../src/execute/index.js";
import { FunctionTask, MapNode, Pipeline } from "../src/index.js";
import { buildAssets } from "../src/ui/assets.js";
import { newToken } from "../src/api/guard.js";
import { listenUi } from "../src/ui/server.js";
import { openSource } from "../src/ui/source.js";
import { median } from "../src/view/format.js";

const ITEMS = 1000;

export async function bench(): Promise<Record<string, number>> {
  const assets = await buildAssets();
  const size = (name: string) => assets.get(name)!.body.length;
  const dir = mkdtempSync(join(tmpdir(), "runnable-bench-ui-"));
  const root = join(dir, ".runnable");
  const pipeline = new Pipeline({ name: "wide", steps: [
    new FunctionTask({ name: "make", function: () => Array.from({ length: ITEMS }, (_, i) => i), returns: ["xs"] }),
    new MapNode({ name: "fanout", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "square", function: ({ x }: { x: number }) => x * x, returns: ["y"] }).asPipeline() }),
  ] });
  const run = await runPipeline(pipeline, { root, runId: "wide-1", workDir: dir });
  const source = await openSource({ root });
  const token = newToken();
  const server = await listenUi({ source, assets, token, port: 0 });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?token=${token}`);
    const loads: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto("about:blank");
      const t0 = performance.now();
      await page.goto(`${server.url}/#/run/wide-1`);
      await page.waitForSelector('.dag [data-path="fanout.*.square"].s-SUCCESS');
      await page.waitForSelector(".timeline-body svg");
      if (i > 0) loads.push(performance.now() - t0); // the first load warms the server's caches
    }
    const answer = await fetch(`${server.url}/api/runs/wide-1`, { headers: { authorization: `Bearer ${token}` } });
    const body = await answer.text();
    return {
      ui_app_js_kib: Math.round(size("app.js") / 102.4) / 10,
      ui_app_js_gzip_kib: Math.round(gzipSync(assets.get("app.js")!.body).length / 102.4) / 10,
      ui_app_css_kib: Math.round(size("app.css") / 102.4) / 10,
      ui_run_steps: Object.keys(run.runLog.steps).length,
      ui_run_answer_kib: Math.round(Buffer.byteLength(body) / 102.4) / 10,
      ui_run_page_load_ms: Math.round(median(loads)!),
    };
  } finally {
    await browser.close();
    await server.close();
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
