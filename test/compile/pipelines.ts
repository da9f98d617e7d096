import {
  Catalog, Conditional, Fail, FunctionTask, MapNode, Parallel, Pipeline, ShellTask, Stub, Success,
} from "../../src/sdk/index.js";

// One small pipeline per node kind (and per compile feature), compiled by the golden tests.
const fn = (name: string, extra: Partial<ConstructorParameters<typeof FunctionTask>[0]> = {}) =>
  new FunctionTask({ name, function: () => ({}), ...extra });

export const FIXTURE_PIPELINES: Record<string, () => Pipeline> = {
  task: () => new Pipeline({
    name: "task",
    steps: [
      fn("prepare", { returns: ["rows"], catalog: new Catalog({ put: ["data.csv"] }) }),
      fn("train", { retry: { attempts: 3, intervalSeconds: 2, backoffRate: 1.5, maxDelaySeconds: 30 }, timeoutSeconds: 120 }),
    ],
  }),
  shell: () => new Pipeline({ name: "shell", steps: [new ShellTask({ name: "count", command: "wc -l data.csv", returns: ["lines"] })] }),
  batch: () => new Pipeline({
    name: "batch",
    steps: [fn("train_big", { compute: "batch", timeoutSeconds: 7200, resources: { memoryMiB: 8192, vcpu: 4 }, retry: { attempts: 2 } })],
  }),
  batch_in_map: () => new Pipeline({
    name: "batch_in_map",
    steps: [new MapNode({ name: "outer", iterateOn: "xs", iterateAs: "x", branch: new MapNode({
      name: "inner", iterateOn: "ys", iterateAs: "y", branch: fn("crunch", { compute: "batch", resources: { vcpu: 0.5 } }).asPipeline(),
    }).asPipeline() })],
  }),
  stub: () => new Pipeline({ name: "stub", steps: [new Stub({ name: "later", returns: ["x"] }), fn("use")] }),
  parallel: () => new Pipeline({
    name: "parallel",
    steps: [
      new Parallel({ name: "train_models", branches: { random_forest: fn("train_rf").asPipeline(), xgboost: fn("train_xgb").asPipeline() } }),
      fn("pick"),
    ],
  }),
  map: () => new Pipeline({
    name: "map",
    steps: [
      new MapNode({ name: "fanout", iterateOn: "items", iterateAs: "item", maxConcurrency: 5, branch: new Pipeline({ steps: [fn("score", { returns: ["s"] })] }) }),
      fn("report"),
    ],
  }),
  nested_map: () => new Pipeline({
    name: "nested_map",
    steps: [new MapNode({
      name: "outer", iterateOn: "rows", iterateAs: "row",
      branch: new Pipeline({ steps: [new MapNode({ name: "inner", iterateOn: "cols", iterateAs: "col", branch: fn("cell").asPipeline() })] }),
    })],
  }),
  distributed_map: () => new Pipeline({
    name: "distributed_map",
    steps: [new MapNode({ name: "big", iterateOn: "ids", iterateAs: "id", distributed: true, maxConcurrency: 500, branch: fn("work").asPipeline() })],
  }),
  conditional: () => new Pipeline({
    name: "conditional",
    steps: [
      new Conditional({ name: "decide", parameter: "level", branches: { high: fn("notify").asPipeline(), low: fn("log").asPipeline() }, default: fn("ignore").asPipeline() }),
      fn("after"),
    ],
  }),
  conditional_no_default: () => new Pipeline({
    name: "conditional_no_default",
    steps: [new Conditional({ name: "decide", parameter: "level", branches: { high: fn("notify").asPipeline() } })],
  }),
  terminals: () => new Pipeline({
    name: "terminals",
    steps: [
      new Conditional({
        name: "gate", parameter: "ok",
        branches: { true: new Pipeline({ steps: [new Success({ name: "done" })] }), false: new Pipeline({ steps: [new Fail({ name: "stop" })] }) },
      }),
      fn("after"),
    ],
  }),
  on_failure: () => new Pipeline({
    name: "on_failure",
    steps: [
      fn("risky", { onFailure: new Pipeline({ steps: [fn("cleanup"), fn("alert")] }) }),
      new Parallel({ name: "both", branches: { a: fn("a1").asPipeline() }, onFailure: fn("recover").asPipeline() }),
      fn("after"),
    ],
  }),
};
