import "../../src/emulate/polyfill.js";
import { StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";

// What the compiler relies on in aws-local-stepfunctions 3 (the emulator's interpreter), checked on
// tiny machines so a change of the interpreter shows here first.
async function run(definition: object, context?: object): Promise<unknown> {
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  return machine.run({ runId: "r1", n: 250, xs: [5, 7] }, context ? { context: context as never } : {}).result;
}

const pass = (parameters: object) => ({ StartAt: "P", States: { P: { Type: "Pass", Parameters: parameters, End: true } } });

describe("aws-local-stepfunctions behaves as the compiled ASL needs", () => {
  it("computes chunk starts with ArrayRange over a nested MathAdd, end not aligned to the step", async () => {
    await expect(run(pass({ "s.$": "States.ArrayRange(0, States.MathAdd($.n, -1), 100)", "a.$": "States.Array($.n, 1)" })))
      .resolves.toEqual({ s: [0, 100, 200], a: [250, 1] });
  });

  it("builds JSON text with States.Format, escaped braces and a JsonToString argument (the Batch event)", async () => {
    const out = await run(pass({ "t.$": "States.Format('\\{\"runId\":\"{}\",\"indexes\":{}\\}', $.runId, States.JsonToString(States.Array(1, 2)))" })) as { t: string };
    expect(JSON.parse(out.t)).toEqual({ runId: "r1", indexes: [1, 2] });
  });

  it("gives $$.Map.Item.Value to ItemSelector intrinsics", async () => {
    const out = await run({
      StartAt: "M",
      States: { M: { Type: "Map", ItemsPath: "$.xs", ItemSelector: { "v.$": "$$.Map.Item.Value", "e.$": "States.MathAdd($$.Map.Item.Value, 99)" },
        ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } }, End: true } },
    });
    expect(out).toEqual([{ v: 5, e: 104 }, { v: 7, e: 106 }]);
  });

  it("has no $$.State.RetryCount or $$.Execution.Name of its own: the emulator must pass them as context", async () => {
    const def = pass({ "e.$": "$$.Execution.Name", "c.$": "$$.State.RetryCount" });
    await expect(run(def)).rejects.toThrow(/does not point to a value/);
    await expect(run(def, { Execution: { Name: "x1" }, State: { RetryCount: 0 } })).resolves.toEqual({ e: "x1", c: 0 });
  });

  it("raises the error named at ErrorPath from a Fail state", async () => {
    const error = await run({ StartAt: "F", States: { F: { Type: "Fail", ErrorPath: "$.runId", Cause: "see the log" } } }).catch((e: Error) => e);
    expect((error as Error).cause).toMatchObject({ name: "r1" });
  });
});
