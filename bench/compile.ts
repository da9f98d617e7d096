// `npm run bench -- compile`: compiles a 1,000-step pipeline (plain tasks with Parallel, Map and
// Conditional steps mixed in) and reports the time against JSON.stringify of the output, the
// definition's size per step, and the state transitions a plain task step costs.
import { compile } from "../src/compile/index.js";
import { Conditional, FunctionTask, MapNode, Parallel, Pipeline } from "../src/index.js";
import type { Node } from "../src/sdk/index.js";

const task = (name: string) => new FunctionTask({ name, function: () => 1, returns: [`${name}_out`] });

/** Groups of 20 steps: 12 tasks, a Parallel of 2 tasks, a Map of 1 task, a Conditional of 1 task + a default of 1 task. */
export function mixedPipeline(groups = 50): Pipeline {
  const nodes: Node[] = [];
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < 12; i++) nodes.push(task(`t${g}_${i}`));
    nodes.push(new Parallel({ name: `par${g}`, branches: { a: task(`pa${g}`).asPipeline(), b: task(`pb${g}`).asPipeline() } }));
    nodes.push(new MapNode({ name: `map${g}`, iterateOn: `t${g}_0_out`, iterateAs: `item${g}`, branch: task(`m${g}`).asPipeline() }));
    nodes.push(new Conditional({ name: `if${g}`, parameter: `t${g}_1_out`, branches: { yes: task(`c${g}`).asPipeline() }, default: task(`d${g}`).asPipeline() }));
  }
  return new Pipeline({ name: "bench", steps: nodes });
}

function time(fn: () => void, runs: number): number {
  fn(); // warm up
  const started = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - started) / runs;
}

export async function bench(): Promise<Record<string, number>> {
  const pipeline = mixedPipeline(50);
  const result = compile(pipeline);
  const steps = Object.keys(result.estimate.perNode).length;
  const bytes = Buffer.byteLength(JSON.stringify(result.definition));
  const compileMs = time(() => compile(pipeline), 10);
  const stringifyMs = time(() => JSON.stringify(result.definition), 10);
  const plain = compile(new Pipeline({ name: "plain", steps: Array.from({ length: 100 }, (_, i) => task(`s${i}`)) }));
  return {
    compile_1000_steps_ms: Number(compileMs.toFixed(2)),
    compile_steps: steps,
    compile_vs_stringify_ratio: Number((compileMs / stringifyMs).toFixed(1)),
    asl_bytes_per_step: Math.round(bytes / steps),
    asl_definition_bytes: bytes,
    // Start and finalise are the run's fixed cost; each plain task step is one transition.
    transitions_per_task_step: (plain.estimate.transitionsPerRun - 2) / 100,
    transitions_per_run_1000_steps: result.estimate.transitionsPerRun,
  };
}
