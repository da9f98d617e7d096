// The static checks' cost: building a wide pipeline infers each function's reads (acorn parse of its
// source, once per function object) and the parameter-flow check walks the graph. Figures in ms.
import { buildGraph, checkParameterFlow } from "../src/graph/index.js";
import { FunctionTask, Map as MapStep, Parallel, Pipeline } from "../src/index.js";

const STEPS = 500;

/** A distinct function per step (as real code has), reading two names and returning one object literal. */
function stepFunction(i: number): (p: Record<string, unknown>) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`{ v${i}, seed, depth = 3 }`, `const total = [v${i}, seed].length * depth;\nif (total > 1e9) throw new Error("too big");\nreturn { v${i + 1}: total };`) as never;
}

function widePipeline(): Pipeline {
  const steps = Array.from({ length: STEPS }, (_, i) => new FunctionTask({ name: `s${i}`, function: stepFunction(i), returns: [`v${i + 1}`] }));
  const fan = new MapStep({ name: "fan", iterateOn: `v${STEPS}`, iterateAs: "item", branch: new FunctionTask({ name: "one", function: ({ item }: { item: number }) => item, returns: ["out"] }).asPipeline() });
  const par = new Parallel({ name: "par", branches: { a: new FunctionTask({ name: "a", function: ({ out }: { out: number[] }) => out.length, returns: ["na"] }).asPipeline() } });
  return new Pipeline({ name: "wide", steps: [...steps, fan, par] });
}

export function bench(): Record<string, number> {
  const pipeline = widePipeline();
  let t = performance.now();
  const built = buildGraph(pipeline);
  const coldBuild = performance.now() - t;
  t = performance.now();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) buildGraph(pipeline);
  const warmBuild = (performance.now() - t) / rounds;
  t = performance.now();
  let problems = 0;
  for (let i = 0; i < rounds; i++) problems += checkParameterFlow(built.graph, { parameters: ["v0", "seed"], secrets: [] }).length;
  const flow = (performance.now() - t) / rounds;
  if (problems !== 0) throw new Error(`the bench pipeline should pass the flow check, got ${problems} problems`);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    check_build_500_steps_cold_ms: round(coldBuild),
    check_build_500_steps_warm_ms: round(warmBuild),
    check_flow_500_steps_ms: round(flow),
  };
}
