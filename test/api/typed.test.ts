// The runs API refuses parameters that do not fit the pipeline (400) before it writes a run header or
// starts anything: on AWS the API Lambda asks the pipeline's step Lambda (which bundles the schema),
// and `runnable serve` validates with the module it loaded. Both apply the parameter-flow check too.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedPipelines } from "../../handlers/api.js";
import { makeLambdaHandler } from "../../handlers/step.js";
import { awsBackend } from "../../src/api/aws.js";
import { localBackend, type LocalBackend } from "../../src/api/local.js";
import { loadPipelineSources } from "../../src/api/pipelines.js";
import { handleApiRequest, type RunsBackend } from "../../src/api/routes.js";
import { fsStores } from "../../src/store/index.js";

const TYPED = join(import.meta.dirname, "fixtures", "typed.ts");
const QUICK = join(import.meta.dirname, "fixtures", "quick.ts");
const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${name}`;
const stepArn = "arn:aws:lambda:eu-west-1:123456789012:function:typed-step";

const dir = mkdtempSync(join(tmpdir(), "runnable-typed-api-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = (backend: RunsBackend, name: string, body: unknown) =>
  handleApiRequest(backend, { method: "POST", path: `/pipelines/${name}/runs`, query: {}, body: JSON.stringify(body) });

describe("runs API on AWS (API Lambda code path)", () => {
  const started: string[] = [];
  const invoked: unknown[] = [];
  let backend: RunsBackend;
  const stores = fsStores(join(dir, "aws"));

  beforeAll(async () => {
    const [typed, quick] = await loadPipelineSources([TYPED, QUICK]);
    // The step Lambda's real handler, called in-process with the JSON a Lambda invoke carries.
    const step = makeLambdaHandler(() => import(pathToFileURL(TYPED).href), { stores });
    const invoke = async (fn: string, event: unknown) => {
      invoked.push({ fn, event });
      return JSON.parse(JSON.stringify(await step(JSON.parse(JSON.stringify(event)), { getRemainingTimeInMillis: () => 10_000 })));
    };
    const pipelines = deployedPipelines(
      { typed: { graph: typed!.built.graph, defaults: {} }, quick: { graph: quick!.built.graph, defaults: {} } },
      JSON.stringify({ typed: arn("typed"), quick: arn("quick") }), JSON.stringify({ typed: stepArn }), invoke,
    );
    const sfn = { send: async (c: { input: { name: string } }) => { started.push(c.input.name); return { executionArn: `x:${c.input.name}` }; } };
    // Each pipeline's runs in its own key scope (as on AWS); `stores` is typed's, which its step Lambda uses.
    const quickStores = fsStores(join(dir, "aws-quick"));
    backend = awsBackend(pipelines, (name) => (name === "typed" ? stores : quickStores), sfn as never);
  }, 60_000);

  it("400 naming the parameter, before any header or execution", async () => {
    const res = await post(backend, "typed", { runId: "bad-1", parameters: { n: "abc" } });
    expect(res).toEqual({ status: 400, body: { error: { code: "BadRequest", message: 'parameter "n" = "abc": Invalid input: expected number, received NaN' } } });
    expect(invoked).toEqual([{ fn: stepArn, event: { runnable: "validateParameters", parameters: { n: "abc" } } }]);
    expect(started).toEqual([]);
    expect(await stores.runLog.getHeader("bad-1")).toBeUndefined();
  });

  it("201 with the schema's output (coerced, defaulted) as the run's parameters; a repeat is the same run", async () => {
    const res = await post(backend, "typed", { runId: "ok-1", parameters: { n: "3" } });
    expect(res.status).toBe(201);
    expect((await stores.runLog.getHeader("ok-1"))?.parameters).toEqual({ n: 3, label: "run" });
    expect(started).toEqual(["ok-1"]);
    expect((await post(backend, "typed", { runId: "ok-1", parameters: { n: "3" } })).status).toBe(200);
  });

  it("400 when a step reads a parameter the request does not give (no schema)", async () => {
    const res = await post(backend, "quick", { runId: "flow-1", parameters: {} });
    expect(res.status).toBe(400);
    expect((res.body as { error: { message: string } }).error.message).toBe(
      'step "each": iterateOn "items" is not a parameter in scope: nothing provides it before this step (no parameter of that name is given, and no earlier step returns it)',
    );
    expect(started).not.toContain("flow-1");
  });
});

describe("runnable serve's backend", () => {
  let backend: LocalBackend;
  beforeAll(async () => {
    backend = await localBackend({ pipelines: [TYPED], root: join(dir, "serve") });
  }, 60_000);
  afterAll(() => backend?.close());

  it("400 for a parameter the schema refuses, nothing started", async () => {
    const res = await post(backend, "typed", { runId: "s-1", parameters: { n: 0 } });
    expect(res).toEqual({ status: 400, body: { error: { code: "BadRequest", message: 'parameter "n" = 0: Too small: expected number to be >=1' } } });
    expect(await backend.runLog.getHeader("s-1")).toBeUndefined();
  });
});
