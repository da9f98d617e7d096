import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Catalog, Pipeline, ShellTask } from "../../src/index.js";
import { runLocal, tempDir } from "../execute/helpers.js";

describe("ShellTask", () => {
  it("passes parameters as environment variables and never interpolates them into the command", async () => {
    const workDir = tempDir();
    const evil = "$(touch pwned); `touch pwned2`";
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "echo", command: 'printf "%s" "$evil" > seen.txt; echo "n=$((count+1))" >> "$RUNNABLE_OUTPUT"; echo "list=$items" >> "$RUNNABLE_OUTPUT"', returns: ["n", "list"], catalog: new Catalog({ put: ["seen.txt"] }) }),
    ] }), { parameters: { evil, count: 41, items: [1, "a"] }, workDir });
    expect(run.status).toBe("SUCCESS");
    expect(existsSync(join(workDir, "pwned"))).toBe(false);
    expect(existsSync(join(workDir, "pwned2"))).toBe(false);
    expect(readFileSync(join(workDir, "seen.txt"), "utf8")).toBe(evil);
    expect(run.log.finalParameters).toMatchObject({ n: 42, list: [1, "a"] });
    expect(run.log.steps.echo!.attempts[0]!.inputParameters).toEqual({ evil, count: 41, items: [1, "a"] });
  });

  it("captures stdout and stderr into the catalog as <step>.execution.log, also when the command fails", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "loud", command: "echo out-line; echo err-line >&2; exit 3" }),
    ] }));
    expect(run.status).toBe("FAIL");
    const step = run.log.steps.loud!;
    expect(step.attempts[0]!.error).toMatchObject({ name: "ShellError" });
    expect(step.attempts[0]!.error!.message).toMatch(/exited with code 3; last output:\nout-line\nerr-line/);
    expect(step.catalog.map((c) => c.name)).toEqual(["loud.execution.log"]);
    const copy = join(tempDir(), "log.txt");
    await run.stores.catalog.get(run.runId, "loud.execution.log", copy);
    expect(readFileSync(copy, "utf8")).toBe("out-line\nerr-line\n");
  });

  it("tells the command its run id, step path and attempt number", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({
        name: "flaky",
        command: 'echo "seen=$RUNNABLE_RUN_ID/$RUNNABLE_STEP/$RUNNABLE_ATTEMPT" >> "$RUNNABLE_OUTPUT"; [ "$RUNNABLE_ATTEMPT" -ge 2 ]',
        returns: ["seen"], retry: { attempts: 2, intervalSeconds: 0 },
      }),
    ] }));
    expect(run.status).toBe("SUCCESS");
    expect(run.log.steps.flaky!.attempts.map((a) => a.status)).toEqual(["FAIL", "SUCCESS"]);
    expect(run.log.finalParameters.seen).toBe(`${run.runId}/flaky/2`);
  });

  it("fails a step whose command does not write a declared return", async () => {
    const run = await runLocal(new Pipeline({ steps: [new ShellTask({ name: "quiet", command: "true", returns: ["x"] })] }));
    expect(run.log.steps.quiet!.attempts[0]!.error!.message).toMatch(/step "quiet" declares returns "x" but the command wrote no such line to \$RUNNABLE_OUTPUT/);
  });

  it("kills the command's whole process group on timeout", async () => {
    const workDir = tempDir();
    const run = await runLocal(new Pipeline({ steps: [
      new ShellTask({ name: "slow", timeoutSeconds: 1, command: "(sleep 3; touch child-survived) & sleep 3; touch parent-survived" }),
    ] }), { workDir });
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.slow!.attempts[0]!.error).toMatchObject({ name: "runnable.Timeout" });
    await new Promise((r) => setTimeout(r, 3500));
    expect(existsSync(join(workDir, "child-survived"))).toBe(false);
    expect(existsSync(join(workDir, "parent-survived"))).toBe(false);
  });
});
