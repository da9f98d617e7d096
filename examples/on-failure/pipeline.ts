// Failure handling: a retry policy and an onFailure recovery.
//   npx runnable run examples/on-failure/pipeline.ts
// - `fetch` stands for a flaky source: it fails on its first two attempts and succeeds on the third
//   (retry.attempts = 3). It tells attempts apart with $RUNNABLE_ATTEMPT rather than a file, so it
//   behaves the same locally, in the emulator and on Lambda, where each attempt may land elsewhere.
// - `parse` always fails; its onFailure pipeline (`use_defaults`) replaces the rest of the pipeline,
//   so `publish` never runs and the run ends SUCCESS — the outcome of the recovery pipeline.
import { FunctionTask, Pipeline, ShellTask } from "runnable-ts";

const flakyFetch = [
  'if [ "$RUNNABLE_ATTEMPT" -lt 3 ]; then echo "source unavailable (attempt $RUNNABLE_ATTEMPT)" >&2; exit 1; fi',
  `echo 'raw="id,value;1,oops"' >> "$RUNNABLE_OUTPUT"`,
].join("\n");

function parse({ raw }: { raw: string }): number {
  throw new Error(`cannot parse ${raw.split(";").length} lines: column "value" is not a number`);
}

export default new Pipeline({
  name: "on-failure",
  steps: [
    new ShellTask({ name: "fetch", command: flakyFetch, returns: ["raw"], retry: { attempts: 3, intervalSeconds: 0 } }),
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
