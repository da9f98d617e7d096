// Issue 10, repro 3 (the last part): when the emulator's S3 server process dies mid-run, its
// supervisor starts a new one on the same endpoint: the run carries on and succeeds, and
// `runnable serve` keeps answering — never "500 ECONNREFUSED" forever.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { tempDir } from "../emulate/compare.js";
import { startServe, type ServeHandle } from "../helpers/serve.js";

const SLOW = join(import.meta.dirname, "fixtures", "slow-map.ts");

/** The pid of `parent`'s child process running the S3 server (from /proc). */
function s3ChildOf(parent: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      if (ppid === parent && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("s3/child")) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

describe("runnable serve when its S3 server dies", () => {
  let serve: ServeHandle;
  beforeAll(async () => {
    const dir = tempDir("serve-s3-");
    serve = await startServe(["--port", "0", "--root", join(dir, "root"), SLOW], { cwd: dir });
  }, 60_000);
  afterAll(() => serve?.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${serve.url}${path}`, {
      method, headers: { authorization: `Bearer ${serve.token}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as RunLog & { error?: { message: string } } };
  };
  const waitForEnd = async (runId: string): Promise<RunLog> => {
    for (let i = 0; i < 600; i++) {
      const { status, json } = await call("GET", `/runs/${runId}`);
      expect(status, JSON.stringify(json)).toBe(200);
      if (json.status !== "RUNNING") return json;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };

  it("answers again at once, finishes the run in flight (the server restarted once), and starts new ones", async () => {
    expect((await call("POST", "/pipelines/slow_map/runs", { runId: "before", parameters: { items: [1, 2, 3, 4] } })).status).toBe(201);
    const pid = s3ChildOf(serve.child.pid!);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    const log = await waitForEnd("before");
    expect(log.status).toBe("SUCCESS");
    expect(log.finalParameters.sum).toBe(20);
    expect((await call("POST", "/pipelines/slow_map/runs", { runId: "after", parameters: { items: [5] } })).status).toBe(201);
    expect((await waitForEnd("after")).finalParameters.sum).toBe(10);
    expect(s3ChildOf(serve.child.pid!)).not.toBe(pid);
    expect(serve.stderr()).toMatch(new RegExp(`the local S3 server \\(pid ${pid}\\) exited \\(SIGKILL\\); restarting it\n.*the local S3 server is serving again`));
    expect(serve.stderr().match(/restarting it/g)).toHaveLength(1);
  }, 120_000);
});
