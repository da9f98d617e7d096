// `npm run bench -- emulator`: what the emulator costs.
// - emulator_step_overhead_ms: a 100-step linear pipeline in the emulator with warm handler
//   processes (after one warm-up run; median of 3 runs), per step — handler IPC, S3 reads/writes, interpreter.
// - emulator_raw_interpreter_ms: the same compiled definition in aws-local-stepfunctions alone,
//   every Task a no-op returning a success, and the ratio of the two.
// - emulator_map_1000_items_s / _per_s: a 1,000-item Map (MaxConcurrency 40), one trivial step per item:
//   seconds, and items per second.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPipelineFile } from "../src/load/index.js";
import { compile } from "../src/compile/index.js";
import { inspectDefinition, substitute, withAwsTaskTimeouts, type JsonObject } from "../src/emulate/definition.js";
import { EmulatorSession, runInEmulator } from "../src/emulate/index.js";
import { NO_TASK_TIMEOUT_SECONDS } from "../src/emulate/limits.js";
import { runMachine } from "../src/emulate/machine.js";
import { buildGraph } from "../src/graph/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

async function loaded(name: string) {
  const { pipeline, source, fallbackName } = await loadPipelineFile(fixture(name));
  return { built: buildGraph(pipeline, { fallbackName }), source };
}

async function rawInterpreterMs(built: Awaited<ReturnType<typeof loaded>>["built"]): Promise<number> {
  const compiled = compile(built);
  const definition = withAwsTaskTimeouts(substitute(compiled.definition as unknown as JsonObject, { BucketName: "b", StepFunctionArn: "f" }), NO_TASK_TIMEOUT_SECONDS);
  const { tasks } = inspectDefinition(definition);
  const ok = async () => ({ Payload: { v: 1, status: "SUCCESS", count: 0, branch: "default" }, StatusCode: 200 });
  const handlers = Object.fromEntries([...tasks.keys()].map((name) => [name, ok]));
  await runMachine(definition, { runId: "bench" }, { executionName: "warm", handlers });
  const t0 = performance.now();
  const r = await runMachine(definition, { runId: "bench" }, { executionName: "raw", handlers });
  if (r.status !== "SUCCEEDED") throw new Error(`raw run failed: ${JSON.stringify(r.error)}`);
  return performance.now() - t0;
}

export async function bench(): Promise<Record<string, number>> {
  const root = mkdtempSync(join(tmpdir(), "runnable-bench-emu-"));
  const session = await EmulatorSession.open({ root });
  try {
    const linear = await loaded("linear");
    const run = () => runInEmulator({ built: linear.built, source: linear.source, parameters: {}, session });
    await run();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await run();
      times.push(performance.now() - t0);
      if (r.status !== "SUCCESS") throw new Error("the linear pipeline failed in the emulator");
    }
    const emulatorMs = times.sort((a, b) => a - b)[1]!;
    const rawMs = await rawInterpreterMs(linear.built);

    const map = await loaded("map1000");
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const t1 = performance.now();
    const m = await runInEmulator({ built: map.built, source: map.source, parameters: { items }, session });
    const mapS = (performance.now() - t1) / 1000;
    if (m.status !== "SUCCESS" || m.parameters.y !== 1000) throw new Error("the 1,000-item Map failed in the emulator");

    return {
      emulator_step_overhead_ms: Math.round((emulatorMs / 100) * 10) / 10,
      emulator_linear_100_total_ms: Math.round(emulatorMs),
      emulator_raw_interpreter_ms: Math.round(rawMs),
      emulator_raw_interpreter_step_ms: Math.round((rawMs / 100) * 100) / 100,
      emulator_vs_raw_ratio: Math.round((emulatorMs / rawMs) * 10) / 10,
      emulator_map_1000_items_s: Math.round(mapS * 10) / 10,
      emulator_map_1000_items_per_s: Math.round(1000 / mapS),
    };
  } finally {
    await session.close();
    rmSync(root, { recursive: true, force: true });
  }
}
