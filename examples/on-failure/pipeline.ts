// Failure handling: a retry policy and an onFailure recovery.
//   npx runnable run examples/on-failure/pipeline.ts
// - `fetch` fails on its first two attempts (a flaky source) and succeeds on the third: retry.attempts = 3.
// - `parse` always fails; its onFailure pipeline (`use_defaults`) replaces the rest of the pipeline,
//   so `publish` never runs and the run ends SUCCESS — the outcome of the recovery pipeline.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { FunctionTask, Pipeline } from "runnable-ts";

/** Fails until it has been called three times in this working directory. */
function flakyFetch(): string {
  const tries = existsSync("fetch-attempts.txt") ? Number(readFileSync("fetch-attempts.txt", "utf8")) + 1 : 1;
  writeFileSync("fetch-attempts.txt", String(tries));
  if (tries < 3) throw new Error(`source unavailable (attempt ${tries})`);
  return "id,value\n1,oops";
}

function parse({ raw }: { raw: string }): number {
  throw new Error(`cannot parse ${raw.split("\n").length} lines: column "value" is not a number`);
}

export default new Pipeline({
  name: "on-failure",
  steps: [
    new FunctionTask({ name: "fetch", function: flakyFetch, returns: ["raw"], retry: { attempts: 3, intervalSeconds: 0 } }),
    new FunctionTask({
      name: "parse",
      function: parse,
      returns: ["total"],
      onFailure: new Pipeline({
        steps: [new FunctionTask({ name: "use_defaults", function: () => ({ total: 0, source: "defaults" }), returns: ["total", "source"] })],
      }),
    }),
    new FunctionTask({ name: "publish", function: ({ total }: { total: number }) => `published ${total}`, returns: ["published"] }),
  ],
});
