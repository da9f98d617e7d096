// Issue 10, repro 2: `runnable serve` no longer trusts any web page or any local process. Real HTTP
// against the CLI's server: each attack gets its 4xx and the server keeps serving; with the
// printed token the normal flow works. And (repro 3) when its S3 server process dies, the
// supervisor starts a new one on the same endpoint: the run in flight finishes, serve keeps answering.
import { readFileSync, readdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { startServe, type ServeHandle } from "../helpers/serve.js";

const QUICK = join(import.meta.dirname, "..", "api", "fixtures", "quick.ts");
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

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; json: { error?: { code: string; message: string } } & Record<string, unknown> }

/** One raw HTTP request (any Host, any header, chunked or not), as an attacker can send it. */
function raw(base: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunks?: Buffer[] }): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: o.method ?? "GET", path: o.path, setHost: false, headers: { host: u.host, ...o.headers } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : {} }));
    });
    req.on("error", reject);
    if (o.chunks) for (const c of o.chunks) req.write(c);
    req.end(o.body);
  });
}

let serve: ServeHandle;
let dir: string;
const auth = () => ({ authorization: `Bearer ${serve.token}` });
const json = { "content-type": "application/json" };
const startBody = (runId: string) => JSON.stringify({ runId, parameters: { items: [1, 2] } });
const exists = async (runId: string) => (await raw(serve.url, { path: `/runs/${runId}`, headers: auth() })).status === 200;

beforeAll(async () => {
  ({ dir } = tempDir("serve-guard-"));
  serve = await startServe(["--port", "0", "--root", join(dir, "root"), QUICK, SLOW], { cwd: dir });
}, 60_000);
afterAll(async () => {
  await serve?.stop();
});

describe("runnable serve refuses", () => {
  it("prints the token once on stdout (never on stderr); it is 256 random bits", () => {
    expect(serve.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(serve.stderr()).not.toContain(serve.token);
  });

  it("a POST from a foreign Origin (a web page the developer visits): 403, nothing started", async () => {
    // The repro: text/plain needs no CORS preflight, so a page can send it.
    const plain = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { origin: "http://evil.example", "content-type": "text/plain" }, body: startBody("csrf-1") });
    expect(plain).toMatchObject({ status: 403, json: { error: { code: "ForbiddenOrigin" } } });
    // Even with the token and JSON, another origin is refused; so is a cross-site fetch.
    const withToken = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, origin: "http://evil.example" }, body: startBody("csrf-2") });
    expect(withToken.status).toBe(403);
    const nullOrigin = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, origin: "null" }, body: startBody("csrf-3") });
    expect(nullOrigin.status).toBe(403);
    const site = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, "sec-fetch-site": "cross-site" }, body: startBody("csrf-4") });
    expect(site).toMatchObject({ status: 403, json: { error: { message: expect.stringContaining("cross-site") } } });
    for (const id of ["csrf-1", "csrf-2", "csrf-3", "csrf-4"]) expect(await exists(id)).toBe(false);
  });

  it("a foreign Host (DNS rebinding reads): 421, also with the token; the right port is required", async () => {
    const rebound = await raw(serve.url, { path: "/pipelines/quick/runs", headers: { ...auth(), host: "attacker.example" } });
    expect(rebound).toMatchObject({ status: 421, json: { error: { code: "MisdirectedRequest" } } });
    const port = new URL(serve.url).port;
    expect((await raw(serve.url, { path: "/pipelines/quick/runs", headers: { ...auth(), host: `attacker.example:${port}` } })).status).toBe(421);
    expect((await raw(serve.url, { path: "/pipelines/quick/runs", headers: { ...auth(), host: "127.0.0.1:1" } })).status).toBe(421);
    expect((await raw(serve.url, { path: "/pipelines/quick/runs", headers: { ...auth(), host: `localhost:${port}` } })).status).toBe(200);
  });

  it("bodies that are not application/json: 415 (text/plain, a form, none declared)", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const r = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), "content-type": type }, body: startBody("type-1") });
      expect(r).toMatchObject({ status: 415, json: { error: { code: "UnsupportedMediaType" } } });
    }
    expect((await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: auth(), body: startBody("type-1") })).status).toBe(415);
    expect(await exists("type-1")).toBe(false);
  });

  it("no token, a wrong one, one in the query string, a SigV4 signature: 401 with a Bearer challenge", async () => {
    const cases: Record<string, string>[] = [
      {}, { authorization: "Bearer wrong-token-of-some-length-0123456789abcdef" }, { authorization: `Bearer ${serve.token}x` },
      { authorization: "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00" },
      { authorization: `Basic ${Buffer.from(`x:${serve.token}`).toString("base64")}` },
    ];
    for (const headers of cases) {
      const r = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...headers, ...json }, body: startBody("auth-1") });
      expect(r).toMatchObject({ status: 401, json: { error: { code: "Unauthorized" } } });
      expect(r.headers["www-authenticate"]).toBe('Bearer realm="runnable"');
    }
    expect((await raw(serve.url, { path: `/pipelines/quick/runs?token=${serve.token}` })).status).toBe(401);
    expect(await exists("auth-1")).toBe(false);
  });

  it("malformed percent-escapes and request targets: 400, never 500", async () => {
    for (const path of ["/runs/%E0%A4%A", "/pipelines/%ZZ/runs", "/runs/%", "/pipelines/%C0%AF/runs"]) {
      const r = await raw(serve.url, { path, headers: auth() });
      expect(r.status, path).toBe(400);
      expect(r.json.error!.code).toBe("BadRequest");
    }
  });

  it("JSON nested 100,000 deep, invalid UTF-8, a reserved parameter name: 400", async () => {
    const deep = `{"parameters":{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
    const r = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json }, body: deep });
    expect(r).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("nested deeper than 100 levels") } } });
    const utf8 = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json }, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(utf8).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining("UTF-8") } } });
    const reserved = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json }, body: JSON.stringify({ runId: "env-1", parameters: { items: [1], BASH_ENV: "$(id)" } }) });
    expect(reserved).toMatchObject({ status: 400, json: { error: { message: expect.stringContaining('parameter "BASH_ENV" cannot be used') } } });
    expect(await exists("env-1")).toBe(false);
  });

  it("a 10 MB body, declared or streamed: 413", async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const declared = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, "content-length": String(big.length) }, body: big });
    expect(declared).toMatchObject({ status: 413, json: { error: { code: "PayloadTooLarge" } } });
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1024 * 1024, 0x20));
    const streamed = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, "transfer-encoding": "chunked" }, chunks });
    expect(streamed.status).toBe(413);
  });
});

describe("runnable serve with its token", () => {
  const get = (runId: string) => raw(serve.url, { path: `/runs/${runId}`, headers: auth() });
  const waitForEnd = async (runId: string): Promise<RunLog> => {
    for (let i = 0; i < 600; i++) {
      const r = await get(runId);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const log = r.json as unknown as RunLog;
      if (log.status !== "RUNNING") return log;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };

  it("still serves after every refusal: starts, runs and reports a run", async () => {
    const started = await raw(serve.url, { method: "POST", path: "/pipelines/quick/runs", headers: { ...auth(), ...json, origin: serve.url, "sec-fetch-site": "same-origin" }, body: startBody("after-1") });
    expect(started).toMatchObject({ status: 201, json: { runId: "after-1", created: true } });
    expect(await waitForEnd("after-1")).toMatchObject({ status: "SUCCESS", finalParameters: { sum: 6 } });
  }, 60_000);

  it("when its S3 server process is killed mid-run: answers again at once, finishes the run in flight (one restart), starts new ones", async () => {
    const post = (runId: string, items: number[]) => raw(serve.url, { method: "POST", path: "/pipelines/slow_map/runs", headers: { ...auth(), ...json }, body: JSON.stringify({ runId, parameters: { items } }) });
    expect((await post("before", [1, 2, 3, 4])).status).toBe(201);
    const pid = s3ChildOf(serve.child.pid!);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    const log = await waitForEnd("before");
    expect(log.status).toBe("SUCCESS");
    expect(log.finalParameters.sum).toBe(20);
    expect((await post("after", [5])).status).toBe(201);
    expect((await waitForEnd("after")).finalParameters.sum).toBe(10);
    expect(s3ChildOf(serve.child.pid!)).not.toBe(pid);
    expect(serve.stderr()).toMatch(new RegExp(`the local S3 server \\(pid ${pid}\\) exited \\(SIGKILL\\); restarting it\n.*the local S3 server is serving again`));
    expect(serve.stderr().match(/restarting it/g)).toHaveLength(1);
  }, 120_000);

  it("--no-auth is refused off loopback (exit 2); on loopback no token is asked, Origin/Host rules stay", async () => {
    const off = await runCli(["serve", "--no-auth", "--host", "0.0.0.0", "--port", "0", QUICK], { cwd: dir });
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/--no-auth is only allowed on a loopback --host/);
    const open = await startServe(["--no-auth", "--port", "0", "--root", join(dir, "open"), QUICK], { cwd: dir });
    try {
      expect(open.token).toBe("none");
      expect((await raw(open.url, { path: "/runs/nothing-here" })).status).toBe(404);
      expect((await raw(open.url, { path: "/runs/nothing-here", headers: { origin: "http://evil.example" } })).status).toBe(403);
      expect((await raw(open.url, { path: "/runs/nothing-here", headers: { host: "evil.example" } })).status).toBe(421);
    } finally {
      await open.stop();
    }
  }, 60_000);
});
