import { Sha256 } from "@aws-crypto/sha256-js";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunsClient } from "../../src/api/client.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import type { RunHeader } from "../../src/store/types.js";
import { BIN, BIN_ARGS, REPO, runCli } from "../helpers/cli.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";

// Real HTTP against `runnable serve` (the CLI, as a user starts it), backed by the emulator and a
// real S3 protocol server; the remote CLI commands and the SigV4 client are run against it.
const QUICK = join(import.meta.dirname, "fixtures", "quick.ts");
const ML = join(REPO, "examples", "ml-pipeline", "pipeline.ts");
const FLAKY = join(import.meta.dirname, "fixtures", "flaky.ts");
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

let s3: S3rverHandle;
let serve: ChildProcess;
let url: string;
let work: string;
let token: string;
let serveErr = "";

async function call(method: string, path: string, body?: string): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) };
  const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, json: await res.json() };
}

// Generous: the machine may be shared and slow; a run that truly hangs still fails the test.
async function waitForEnd(runId: string): Promise<RunLog> {
  for (let i = 0; i < 1200; i++) {
    const { status, json } = await call("GET", `/runs/${runId}`);
    expect(status).toBe(200);
    if ((json as RunLog).status !== "RUNNING") return json as RunLog;
    await sleep(100);
  }
  throw new Error(`run ${runId} did not end`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "runnable-serve-"));
  s3 = await startS3rver({ bucket: "serve-runs" });
  serve = spawn(process.execPath, [...BIN_ARGS, "serve", "--port", "0", "--s3-endpoint", s3.endpoint, "--bucket", s3.bucket, "--root", work, "--schedules", QUICK, ML, FLAKY], {
    // The server's own S3 access uses s3rver's credentials; callers sign with theirs (ignored locally).
    cwd: work, env: { ...process.env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"],
  });
  serve.stderr!.on("data", (d: Buffer) => (serveErr += d.toString()));
  [url, token] = await new Promise<[string, string]>((resolve, reject) => {
    let out = "";
    serve.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      // The first two lines: where it listens, then the token to send (printed once).
      const m = /^listening on (http:\/\/\S+)\ntoken: ([A-Za-z0-9_-]{43})\n/.exec(out);
      if (m) resolve([m[1]!, m[2]!]);
    });
    serve.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${serveErr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve.once("exit", resolve));
    serve.kill("SIGTERM");
    await exited;
  }
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("runnable serve", () => {
  it("binds to loopback and starts, runs and reports the ML example over HTTP", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const started = await call("POST", "/pipelines/ml-pipeline/runs", JSON.stringify({ runId: "ml-http", tag: "api" }));
    expect(started).toEqual({ status: 201, json: { runId: "ml-http", executionArn: "arn:aws:states:local:000000000000:execution:ml-pipeline:ml-http", created: true } });
    // The run exists as soon as the POST answers.
    expect((await call("GET", "/runs/ml-http")).status).toBe(200);
    const log = await waitForEnd("ml-http");
    expect(log).toMatchObject({ runId: "ml-http", pipeline: "ml-pipeline", status: "SUCCESS", tag: "api", parameters: { max_depth: 6 } });
    expect(log.steps["train_models.xgboost.train_xgb"]?.status).toBe("SUCCESS");
    expect(log.finalParameters.best_model).toBeDefined();
    const listed = await call("GET", "/pipelines/ml-pipeline/runs?limit=5");
    expect(listed.status).toBe(200);
    expect(listed.json.runs).toEqual([expect.objectContaining({ runId: "ml-http", status: "SUCCESS", tag: "api" })]);
  }, 180_000);

  it("--schedules announces each served pipeline's next scheduled run", async () => {
    for (let i = 0; i < 100 && !serveErr.includes("schedule flaky:"); i++) await sleep(50);
    expect(serveErr).toContain("schedule flaky: next run at 2199-01-01T00:00:00.000Z\n");
    expect(serveErr).not.toContain("schedule quick");
  });

  it("refuses bad bodies with 400 and a message naming the field", async () => {
    const bad = async (body: string) => call("POST", "/pipelines/quick/runs", body);
    expect(await bad("{not json")).toMatchObject({ status: 400, json: { error: { code: "BadRequest", message: expect.stringContaining("not JSON") } } });
    expect(await bad(JSON.stringify({ parameters: { items: [1] }, colour: "red" }))).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("colour") } } });
    expect(await bad(JSON.stringify({ runId: "no spaces allowed" }))).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("runId") } } });
    expect(await bad(JSON.stringify({ parameters: [1, 2] }))).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("parameters") } } });
    // Valid shape, but the Map's list is missing: refused before anything runs.
    const missing = await bad(JSON.stringify({ runId: "no-items" }));
    expect(missing).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("items") } } });
    expect((await call("GET", "/runs/no-items")).status).toBe(404);
  });

  it("answers 404 for unknown pipelines, runs and routes, 405 for a wrong method", async () => {
    expect(await call("POST", "/pipelines/nope/runs", "{}")).toMatchObject({ status: 404, json: { error: { code: "PipelineNotFound", message: expect.stringContaining("quick") } } });
    expect(await call("GET", "/pipelines/nope/runs")).toMatchObject({ status: 404 });
    expect(await call("GET", "/runs/never-started")).toMatchObject({ status: 404, json: { error: { code: "RunNotFound" } } });
    expect(await call("GET", "/elsewhere")).toMatchObject({ status: 404, json: { error: { code: "NotFound" } } });
    expect(await call("DELETE", "/runs/never-started")).toMatchObject({ status: 405 });
  });

  it("returns the existing run for a repeated identical request and 409 for a different one under a taken id", async () => {
    const body = JSON.stringify({ runId: "dup-1", parameters: { items: [1, 2, 3] } });
    const first = await call("POST", "/pipelines/quick/runs", body);
    expect(first).toMatchObject({ status: 201, json: { runId: "dup-1", created: true } });
    const again = await call("POST", "/pipelines/quick/runs", body);
    expect(again).toEqual({ status: 200, json: { ...first.json, created: false } });
    const other = await call("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "dup-1", parameters: { items: [9] } }));
    expect(other).toMatchObject({ status: 409, json: { error: { code: "RunExists", message: expect.stringContaining("dup-1") } } });
    const log = await waitForEnd("dup-1");
    expect(log.status).toBe("SUCCESS");
    expect(log.finalParameters.sum).toBe(12);
    const executions = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "runs/dup-1/executions/" }));
    expect((executions.Contents ?? []).map((o) => o.Key!.split("/").pop()).filter((k) => k!.endsWith(".start.json"))).toHaveLength(1);
  }, 180_000);

  it("refuses bodies over 256 KiB with 413", async () => {
    const big = JSON.stringify({ parameters: { items: [1], blob: "x".repeat(300 * 1024) } });
    expect(await call("POST", "/pipelines/quick/runs", big)).toMatchObject({ status: 413, json: { error: { code: "PayloadTooLarge" } } });
  });
});

describe("remote commands against runnable serve", () => {
  it("signs requests with well-formed SigV4 (execute-api) when it has no token (the deployed API's auth)", async () => {
    const sent: Headers[] = [];
    const client = new RunsClient({
      api: url, region: "eu-west-1", credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY },
      fetch: (input, init) => {
        sent.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
    // serve wants its bearer token, not a signature: the signed request is refused there.
    await expect(client.startRun("quick", { runId: "signed-1", parameters: { items: [5] } })).rejects.toMatchObject({ status: 401 });
    const auth = sent[0]!.get("authorization")!;
    const date = sent[0]!.get("x-amz-date")!;
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    expect(auth).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/eu-west-1/execute-api/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`));
    expect(sent[0]!.get("x-amz-content-sha256") ?? "").toMatch(/^[0-9a-f]{64}$|^$/);
    // The same request signed independently at the same instant gives the same signature.
    const u = new URL("pipelines/quick/runs", `${url}/`);
    const again = await new SignatureV4({ service: "execute-api", region: "eu-west-1", sha256: Sha256, credentials: { accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY } })
      .sign({ method: "POST", protocol: "http:", hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { host: u.host, "content-type": "application/json" }, body: JSON.stringify({ runId: "signed-1", parameters: { items: [5] } }) },
        { signingDate: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`) });
    expect(again.headers.authorization).toBe(auth);
  });

  it("with serve's token, the client sends it as a bearer token and the run starts", async () => {
    const sent: Headers[] = [];
    const client = new RunsClient({ api: url, token, fetch: (input, init) => {
      sent.push(new Headers(init?.headers));
      return fetch(input, init);
    } });
    expect(await client.startRun("quick", { runId: "bearer-1", parameters: { items: [5] } })).toMatchObject({ runId: "bearer-1", created: true });
    expect(sent[0]!.get("authorization")).toBe(`Bearer ${token}`);
    expect(sent[0]!.get("x-amz-date")).toBeNull();
    expect((await waitForEnd("bearer-1")).finalParameters.sum).toBe(10);
  }, 180_000);

  it("`runs start --remote --wait`, `runs logs --remote` and `runs list --remote` work with the user's credentials", async () => {
    const env = { ...CREDENTIALS, AWS_REGION: "us-east-1", RUNNABLE_API_TOKEN: token };
    writeFileSync(join(work, "params.yaml"), "items: [1, 2]\n");
    const start = await runCli(["runs", "start", "--remote", "quick", "--api", url, "--parameters", "params.yaml", "--run-id", "cli-1", "--tag", "remote", "--wait"], { cwd: work, env });
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ runId: "cli-1", created: true });
    expect(start.stderr).toContain("run cli-1 SUCCESS");
    const logs = await runCli(["runs", "logs", "--remote", "cli-1", "--api", url], { cwd: work, env });
    expect(logs.code).toBe(0);
    expect(JSON.parse(logs.stdout)).toMatchObject({ runId: "cli-1", status: "SUCCESS", tag: "remote", finalParameters: { sum: 6 } });
    const list = await runCli(["runs", "list", "--remote", "quick", "--api", url, "--limit", "2"], { cwd: work, env });
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: { runId: string }[] }).runs[0]!.runId).toBe("cli-1");
    // Refusals exit 2 with the API's message.
    const unknown = await runCli(["runs", "logs", "--remote", "no-such-run", "--api", url], { cwd: work, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("404");
    const noApi = await runCli(["runs", "logs", "--remote", "cli-1"], { cwd: work, env: { ...env, RUNNABLE_API_URL: "" } });
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain("--api");
    // Without the token (signed with AWS credentials instead) serve refuses: exit 2, the reason shown.
    const noToken = await runCli(["runs", "logs", "--remote", "cli-1", "--api", url], { cwd: work, env: { ...env, RUNNABLE_API_TOKEN: "" } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/401 an access token is required/);
    const flagToken = await runCli(["runs", "logs", "--remote", "cli-1", "--api", url, "--token", token], { cwd: work, env: { ...env, RUNNABLE_API_TOKEN: "" } });
    expect(flagToken.code, flagToken.stderr).toBe(0);
  }, 180_000);

  it("a loopback --api needs no AWS credentials: serve's token is sent (placeholder signatures only without one)", async () => {
    // No credentials anywhere the AWS SDK looks (environment, profile files, instance metadata); serve's token only.
    const none = {
      AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_SESSION_TOKEN: "", AWS_PROFILE: "",
      AWS_SHARED_CREDENTIALS_FILE: join(work, "no-credentials"), AWS_CONFIG_FILE: join(work, "no-config"), AWS_EC2_METADATA_DISABLED: "true",
      RUNNABLE_API_TOKEN: token,
    };
    const start = await runCli(["runs", "start", "--remote", "quick", "--api", url, "--run-id", "nocreds-1", "--wait"], { cwd: work, env: { ...none, RUNNABLE_PRM_items: "[3]" } });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toContain("run nocreds-1 SUCCESS");
    const logs = await runCli(["logs", "--json", "--remote", "nocreds-1", "--api", url.replace("127.0.0.1", "localhost")], { cwd: work, env: none });
    expect(logs.code, logs.stderr).toBe(0);
    expect(JSON.parse(logs.stdout)).toMatchObject({ runId: "nocreds-1", finalParameters: { sum: 6 } });
    // The help says so.
    const help = await runCli(["runs", "list", "--help"], { cwd: work });
    expect(help.stdout.replace(/\s+/g, " ")).toContain("a loopback URL (runnable serve) needs no AWS credentials");
  }, 180_000);

  it("`retry --remote --wait` retries a failed run through the API: SUCCESS, the failed attempt kept, the step that succeeded not run again", async () => {
    const env = { ...CREDENTIALS, AWS_REGION: "us-east-1", RUNNABLE_API_TOKEN: token };
    const marker = join(work, "flaky-ready");
    expect((await call("POST", "/pipelines/flaky/runs", JSON.stringify({ runId: "flaky-1", parameters: { marker } }))).status).toBe(201);
    const failed = await waitForEnd("flaky-1");
    expect(failed.status).toBe("FAIL");
    expect(failed.steps.check!.attempts.map((a) => a.error?.message)).toEqual([`${marker} is missing`]);
    writeFileSync(marker, "");
    const retried = await runCli(["retry", "flaky-1", "--remote", "--api", url, "--wait"], { cwd: work, env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual({ runId: "flaky-1", executionArn: "arn:aws:states:local:000000000000:execution:flaky:retry-1", execution: "retry-1", how: "new-execution" });
    expect(retried.stderr).toContain("run flaky-1 SUCCESS");
    const log = (await call("GET", "/runs/flaky-1")).json as RunLog;
    expect(log.status).toBe("SUCCESS");
    expect(log.steps.check!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "SUCCESS"]]);
    expect(log.steps.prepare!.attempts).toHaveLength(1);
    expect(log.finalParameters).toMatchObject({ marker, prepared: `${marker}.prepared`, checked: 7 });
    // A run that succeeded is not retried again: 409, exit 2 with the reason.
    const again = await runCli(["retry", "flaky-1", "--remote", "--api", url], { cwd: work, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('409 run "flaky-1" already succeeded: nothing to retry');
  }, 180_000);

  it("`logs --remote <runId>` prints the run log as the local `logs` does; unknown runs exit 2", async () => {
    const env = { ...CREDENTIALS, AWS_REGION: "us-east-1", RUNNABLE_API_TOKEN: token };
    expect((await call("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "logs-remote-1", parameters: { items: [4, 5] }, tag: "lr" }))).status).toBe(201);
    const log = await waitForEnd("logs-remote-1");
    const remote = await runCli(["logs", "--json", "--remote", "logs-remote-1", "--api", url], { cwd: work, env });
    expect(remote.code, remote.stderr).toBe(0);
    expect(JSON.parse(remote.stdout)).toEqual(log);
    // The same bytes as the local command reading the run's S3 store directly (emulator run, --s3-endpoint).
    const direct = await runCli(["logs", "--json", "logs-remote-1", "--s3-endpoint", s3.endpoint, "--bucket", s3.bucket], { cwd: work, env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" } });
    expect(direct.code, direct.stderr).toBe(0);
    expect(remote.stdout).toBe(direct.stdout);
    // The API URL from the environment, flag after the id; `runs logs --remote` still answers the same.
    const fromEnv = await runCli(["logs", "--json", "logs-remote-1", "--remote"], { cwd: work, env: { ...env, RUNNABLE_API_URL: url } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).toBe(remote.stdout);
    const old = await runCli(["runs", "logs", "--remote", "logs-remote-1", "--api", url], { cwd: work, env });
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toBe(remote.stdout);

    const unknown = await runCli(["logs", "--remote", "no-such-run", "--api", url], { cwd: work, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^error: .*404 run "no-such-run" not found\n$/);
    const invalid = await runCli(["logs", "--remote", "bad id!", "--api", url], { cwd: work, env });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("is invalid");
    const noApi = await runCli(["logs", "--remote", "logs-remote-1"], { cwd: work, env: { ...env, RUNNABLE_API_URL: "" } });
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toContain("--api");
    const mixed = await runCli(["logs", "--remote", "logs-remote-1", "--api", url, "--events"], { cwd: work, env });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--events cannot be used with it");
    const apiAlone = await runCli(["logs", "--json", "logs-remote-1", "--api", url], { cwd: work, env });
    expect(apiAlone.code).toBe(2);
    expect(apiAlone.stderr).toContain("only apply with --remote");
    const tokenAlone = await runCli(["logs", "logs-remote-1", "--token", token], { cwd: work, env });
    expect(tokenAlone.code).toBe(2);
    expect(tokenAlone.stderr).toContain("only apply with --remote");
    // A 5xx/network failure is a failure (exit 1), not a refusal.
    const down = await runCli(["logs", "--json", "--remote", "logs-remote-1", "--api", "http://127.0.0.1:9/"], { cwd: work, env });
    expect(down.code).toBe(1);
  }, 180_000);

  it("`runnable ui` shows API-started runs: through the API (`--api`) and from serve's bucket (`--s3-endpoint`)", async () => {
    expect((await call("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "ui-api-1", parameters: { items: [2, 3] }, tag: "ui" }))).status).toBe(201);
    const log = await waitForEnd("ui-api-1");
    // Against serve, the UI's API client sends serve's token ($RUNNABLE_API_TOKEN), as the remote commands do.
    const env = { ...process.env, ...CREDENTIALS, AWS_REGION: "us-east-1", NO_COLOR: "1", RUNNABLE_API_TOKEN: token };
    for (const args of [["--api", url], ["--s3-endpoint", s3.endpoint, "--bucket", s3.bucket]]) {
      const ui = spawn(process.execPath, [BIN, "ui", "--port", "0", ...args], { cwd: work, env: args[0] === "--api" ? env : { ...env, AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" }, stdio: ["ignore", "pipe", "pipe"] });
      try {
        const [base, token] = await new Promise<[string, string]>((resolve, reject) => {
          let out = "";
          ui.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /^listening on (\S+)\nopen \S+\?token=(\S+)\n/.exec(out);
            if (m) resolve([m[1]!, m[2]!]);
          });
          ui.once("exit", (code) => reject(new Error(`ui exited with ${code}`)));
        });
        const get = async (path: string) => (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
        const runs = (await get("/api/runs")).runs as { runId: string; status: string; tag: string }[];
        expect(runs.find((r) => r.runId === "ui-api-1"), args[0]).toMatchObject({ status: "SUCCESS", tag: "ui" });
        const run = await get("/api/runs/ui-api-1");
        expect(run.log).toEqual(log);
        // The API serves run logs, not graphs: drawn from the steps that ran; the bucket has the stored graph.
        expect(run.inferred).toBe(args[0] === "--api");
        expect(run.graph.steps.map((n: { name: string }) => n.name)).toEqual(Object.keys(log.steps).filter((p) => !p.includes(".")));
      } finally {
        ui.kill("SIGTERM");
      }
    }
  }, 180_000);

  it("records runs started through `runnable serve` as emulator runs", async () => {
    expect((await call("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "mode-1", parameters: { items: [1] } }))).status).toBe(201);
    await waitForEnd("mode-1");
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "runs/mode-1/header.json" }));
    expect((JSON.parse(await got.Body!.transformToString()) as RunHeader).mode).toBe("emulator");
  }, 180_000);
});
