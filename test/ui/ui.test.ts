/// <reference lib="dom" />
// `runnable ui` in a real browser (Debian chromium driven by playwright-core), on real runs of every
// example (local), an emulator run under the same root, and a run on a separate S3 endpoint. One
// browser for the file. Screenshots land in test-artifacts/ui/ (not committed); with
// UPDATE_SCREENSHOTS=1 they also replace the README's pictures in docs/screenshots/.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { fsStores } from "../../src/store/index.js";
import { BIN, REPO, runCli, tempDir, writePipeline } from "../helpers/cli.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";

const EXAMPLES = readdirSync(join(REPO, "examples"));
const ARTIFACTS = join(REPO, "test-artifacts", "ui");
const README_PICTURES = join(REPO, "docs", "screenshots");

const METRICS = `
import { FunctionTask, Pipeline, metric } from "runnable-ts";
const train = ({ depth }: { depth: number }) => ({ accuracy: 0.7 + depth / 100, loss: 1 / depth });
export default new Pipeline({ name: "tuning", steps: [
  new FunctionTask({ name: "train", function: train, returns: [metric("accuracy"), metric("loss")] }),
] });
`;

// A step that waits until the test creates RELEASE in the working directory: the run stays RUNNING meanwhile.
const SLOW = `
import { existsSync } from "node:fs";
import { FunctionTask, Pipeline } from "runnable-ts";
const wait = async () => {
  for (let i = 0; i < 600 && !existsSync("RELEASE"); i++) await new Promise((r) => setTimeout(r, 100));
  return "released";
};
export default new Pipeline({ name: "slow", steps: [
  new FunctionTask({ name: "hold", function: wait, returns: ["state"] }),
  new FunctionTask({ name: "after", function: () => 1, returns: ["done"] }),
] });
`;

interface Server {
  process: ChildProcess;
  base: string;
  url: string;
  token: string;
}

/** Starts `runnable ui` as a user would and reads the two lines it prints first. */
function startUi(args: string[], cwd: string): Promise<Server> {
  const child = spawn(process.execPath, [BIN, "ui", "--port", "0", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\nopen (\S+)\n/.exec(out);
      if (m) resolve({ process: child, base: m[1]!, url: m[2]!, token: new URL(m[2]!).searchParams.get("token")! });
    });
    child.on("exit", (code) => reject(new Error(`runnable ui exited ${code}: ${err}`)));
  });
}

let work: ReturnType<typeof tempDir>;
let s3: S3rverHandle;
let ui: Server;
let browser: Browser;
let page: Page;
const logs = new Map<string, RunLog>();

async function shot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    mkdirSync(README_PICTURES, { recursive: true });
    copyFileSync(file, join(README_PICTURES, `${name}.png`));
  }
}

beforeAll(async () => {
  work = tempDir("runnable-ui-");
  const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: work.dir, env });
  const metrics = writePipeline(work.dir, "tuning.ts", METRICS);
  [s3] = await Promise.all([
    startS3rver(),
    // Every example, locally; an emulator run under the same root; three runs with a metric.
    ...EXAMPLES.map(async (ex) => {
      const r = await run(["run", join(REPO, "examples", ex, "pipeline.ts"), "--run-id", `ex-${ex}`]);
      expect(r.code, `${ex}: ${r.stderr}`).toBe(0);
    }),
    ...[2, 4, 8].map(async (depth) => expect((await run(["run", metrics, "--run-id", `tune-${depth}`], { RUNNABLE_PRM_depth: String(depth) })).code).toBe(0)),
  ]);
  const emu = await run(["run", join(REPO, "examples", "map-reduce", "pipeline.ts"), "--mode", "emulator", "--run-id", "emu-mr"]);
  expect(emu.code, emu.stderr).toBe(0);
  const onS3 = await run(["run", join(REPO, "examples", "conditional", "pipeline.ts"), "--mode", "emulator", "--run-id", "s3-cond", "--s3-endpoint", s3.endpoint, "--bucket", s3.bucket]);
  expect(onS3.code, onS3.stderr).toBe(0);
  const stores = fsStores(join(work.dir, ".runnable"));
  for (const ex of EXAMPLES) logs.set(`ex-${ex}`, await stores.runLog.readRunLog(`ex-${ex}`));
  [ui, browser] = await Promise.all([
    startUi([], work.dir),
    chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] }),
  ]);
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(ui.url);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  ui?.process.kill("SIGTERM");
  await s3?.stop();
  work?.cleanup();
});

describe("runnable ui in a browser", () => {
  it("the runs page lists every run, newest first, with status and parameters; the token leaves the address bar", async () => {
    await page.waitForSelector('tr[data-run="emu-mr"]');
    const ids = await page.locator("tr[data-run]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    expect([...ids].sort()).toEqual([...EXAMPLES.map((e) => `ex-${e}`), "emu-mr", "tune-2", "tune-4", "tune-8"].sort());
    expect(ids[0]).toBe("emu-mr");
    await expect(page.locator('tr[data-run="ex-ml-pipeline"] .badge').innerText()).resolves.toBe("SUCCESS");
    await expect(page.locator('tr[data-run="tune-4"] td.params').innerText()).resolves.toBe("depth=4");
    expect(page.url()).not.toContain("token");
    await shot("runs");
    // Filters go through the server: only the tuning runs.
    await page.selectOption('select[name="pipeline"]', "tuning");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run]").length === 3);
    await page.selectOption('select[name="pipeline"]', "");
    await page.waitForFunction(() => document.querySelectorAll("tr[data-run]").length > 3);
  });

  it("the run page of every example shows each step with its run-log status", async () => {
    for (const ex of EXAMPLES) {
      const log = logs.get(`ex-${ex}`)!;
      await page.goto(`${ui.base}/#/run/ex-${ex}`);
      await page.waitForSelector(".dag svg [data-path]");
      const boxes = await page.locator(".dag [data-path]").evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-path"), e.getAttribute("class")])));
      for (const [stepPath, step] of Object.entries(log.steps)) {
        // Map iterations share their body step's box ("fanout.3.count" → "fanout.*.count").
        const box = stepPath.split(".").map((s) => (/^\d+$/.test(s) ? "*" : s)).join(".");
        expect(boxes[box], `${ex}: ${stepPath}`).toContain(`s-${step.status}`);
      }
      await expect(page.locator(".run-header h1").innerText()).resolves.toBe(`ex-${ex}`);
      // A successful run says what it would have cost on AWS, from its own durations (as `runnable logs` does).
      if (log.status === "SUCCESS") await expect(page.locator("[data-cost]").innerText()).resolves.toMatch(/^estimated \$[0-9.]+ \(\d+ state transitions, \d+ Lambda calls, \d+ Batch jobs; us-east-1 prices of \d{4}-\d\d-\d\d; its step durations and Map sizes\)$/);
      else await expect(page.locator("[data-cost]").count()).resolves.toBe(0);
    }
    // The emulator run too, with its Map summarised in the box.
    await page.goto(`${ui.base}/#/run/emu-mr`);
    await page.waitForSelector('.dag [data-path="count_words"].s-SUCCESS');
    await expect(page.locator('.dag [data-path="count_words"] .sub').textContent()).resolves.toBe("4/4 ✓");
  });

  it("clicking a step shows its input parameters, returns and catalog files, and a file downloads with its md5", async () => {
    const log = logs.get("ex-ml-pipeline")!;
    await page.goto(`${ui.base}/#/run/ex-ml-pipeline`);
    await page.click('.dag [data-path="train_models.xgboost.train_xgb"]');
    const panel = page.locator('[data-panel="train_models.xgboost.train_xgb"]');
    await panel.waitFor();
    const step = log.steps["train_models.xgboost.train_xgb"]!;
    const input = JSON.parse(await panel.locator('[data-section="Input parameters"] pre').innerText()) as unknown;
    expect(input).toEqual(step.attempts.at(-1)!.inputParameters);
    const files = await panel.locator('[data-section="Catalog files"] tbody tr td:first-child').allInnerTexts();
    expect(files).toEqual(step.catalog.map((c) => c.name));
    await shot("run");
    // Download the model through the page's own link.
    await page.click('.dag [data-path="select_best_model"]');
    const entry = log.steps.select_best_model!.catalog.find((c) => c.stage === "put")!;
    const link = page.locator('[data-panel="select_best_model"] tr', { hasText: entry.name }).locator("a", { hasText: "download" });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const saved = join(work.dir, "downloaded.bin");
    await download.saveAs(saved);
    expect(createHash("md5").update(readFileSync(saved)).digest("hex")).toBe(entry.md5);
    // A shell step's captured output is shown.
    await page.goto(`${ui.base}/#/run/ex-shell-task`);
    const shellStep = Object.entries(logs.get("ex-shell-task")!.steps).find(([, s]) => s.catalog.some((c) => c.name.endsWith(".execution.log")))![0];
    await page.click(`.dag [data-path="${shellStep}"]`);
    await page.waitForFunction((p) => (document.querySelector(`[data-panel="${p}"] pre.output`)?.textContent ?? "").length > 0, shellStep);
  });

  it("a run in progress updates without a reload: its step turns green", async () => {
    const slow = writePipeline(work.dir, "slow.ts", SLOW);
    const running = runCli(["run", slow, "--run-id", "slow-1"], { cwd: work.dir });
    // Opened once the run exists (its header is written before the first step).
    const stores = fsStores(join(work.dir, ".runnable"));
    while (!(await stores.runLog.getHeader("slow-1"))) await new Promise((r) => setTimeout(r, 100));
    await page.goto(`${ui.base}/#/run/slow-1`);
    await page.waitForSelector('.dag [data-path="hold"].s-RUNNING', { timeout: 60_000 });
    await expect(page.locator(".run-header .badge").innerText()).resolves.toBe("RUNNING");
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    writeFileSync(join(work.dir, "RELEASE"), "");
    await page.waitForSelector('.dag [data-path="hold"].s-SUCCESS', { timeout: 30_000 });
    await page.waitForSelector('.dag [data-path="after"].s-SUCCESS', { timeout: 30_000 });
    await expect(page.locator(".run-header .badge").innerText()).resolves.toBe("SUCCESS");
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect((await running).code).toBe(0);
  });

  it("the compare page shows the parameter diff and plots the metric across the pipeline's runs", async () => {
    await page.goto(`${ui.base}/#/compare/tune-2,tune-8`);
    const row = page.locator("table.diff.parameters tr.differs", { hasText: "depth" });
    await row.waitFor();
    await expect(row.locator("td").allInnerTexts()).resolves.toEqual(["2", "8"]);
    await expect(page.locator("table.diff.metrics tr.differs th").allInnerTexts()).resolves.toEqual(["accuracy", "loss"]);
    const plot = page.locator(".plot[data-points]");
    await plot.locator("canvas").waitFor();
    await expect(plot.getAttribute("data-points")).resolves.toBe("3");
    await shot("compare");
  });

  it("`runnable graph --format svg` is an SVG document the browser parses, with a box per step", async () => {
    const made = await runCli(["graph", join(REPO, "examples", "ml-pipeline", "pipeline.ts"), "--format", "svg", "-o", "ml.svg"], { cwd: work.dir });
    expect(made.code, made.stderr).toBe(0);
    const text = readFileSync(join(work.dir, "ml.svg"), "utf8");
    const parsed = await page.evaluate((svg) => {
      const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      return { error: doc.querySelector("parsererror")?.textContent ?? null, root: doc.documentElement.localName, boxes: doc.querySelectorAll("[data-path]").length };
    }, text);
    expect(parsed).toEqual({ error: null, root: "svg", boxes: 7 });
  });

  it("reads emulator runs on a separate S3 endpoint (`--s3-endpoint --bucket`)", async () => {
    const other = await startUi(["--s3-endpoint", s3.endpoint, "--bucket", s3.bucket], work.dir);
    try {
      const res = await fetch(`${other.base}/api/runs`, { headers: { authorization: `Bearer ${other.token}` } });
      const body = (await res.json()) as { runs: { runId: string; status: string; store: string }[] };
      expect(body.runs.map((r) => [r.runId, r.status, r.store])).toEqual([["s3-cond", "SUCCESS", "s3"]]);
      const run = (await (await fetch(`${other.base}/api/runs/s3-cond`, { headers: { authorization: `Bearer ${other.token}` } })).json()) as { inferred: boolean; log: RunLog };
      expect([run.inferred, run.log.status]).toEqual([false, "SUCCESS"]);
    } finally {
      other.process.kill("SIGTERM");
    }
  });
});

describe("runnable ui security (as runnable serve)", () => {
  const call = (path: string, headers: Record<string, string> = {}, method = "GET") =>
    fetch(`${ui.base}${path}`, { method, headers: { authorization: `Bearer ${ui.token}`, ...headers } });

  it("refuses a foreign Host (421) or Origin (403), a missing or wrong token (401), writes (405)", async () => {
    // fetch may not set Host: a raw request does.
    const { request } = await import("node:http");
    const hostStatus = await new Promise<number>((resolve, reject) => {
      const u = new URL(ui.base);
      request({ host: u.hostname, port: u.port, path: "/api/runs", headers: { host: "evil.example:80", authorization: `Bearer ${ui.token}` } }, (res) => resolve(res.statusCode!)).on("error", reject).end();
    });
    expect(hostStatus).toBe(421);
    expect((await call("/api/runs", { origin: "http://evil.example" })).status).toBe(403);
    expect((await call("/api/runs", { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await fetch(`${ui.base}/api/runs`)).status).toBe(401);
    expect((await call("/api/runs", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await fetch(`${ui.base}/api/runs/ex-ml-pipeline/files/best_model.json`)).status).toBe(401);
    expect((await call("/api/runs", { "content-type": "application/json" }, "POST")).status).toBe(405);
    // The page itself holds no data; it is served with a strict policy.
    const index = await fetch(`${ui.base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("refuses catalog names that leave the run's catalog, and binding beyond loopback", async () => {
    const traversal = await call("/api/runs/ex-ml-pipeline/files/..%2F..%2Fruns%2Fex-ml-pipeline%2Fheader.json");
    expect(traversal.status).toBe(400);
    expect(((await traversal.json()) as { error: { message: string } }).error.message).toContain("..");
    expect((await call("/api/runs/no-such-run")).status).toBe(404);
    expect((await call("/api/runs/bad%20id!")).status).toBe(400);
    const exposed = await runCli(["ui", "--host", "0.0.0.0"], { cwd: work.dir });
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toContain("not a loopback address");
  });
});
