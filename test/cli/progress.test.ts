// Progress of a 1,000-item Map as a user sees it: in a real terminal (tmux gives the process a
// pseudo-terminal and keeps the screen it draws) and in a pipe (CI logs) — both a handful of lines.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, runCli, tempDir, writePipeline } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
let file: string;

const PIPELINE = `
import { FunctionTask, MapNode, Pipeline } from "runnable-ts";
const items = ({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i);
const work = async ({ item }: { item: number }) => {
  await new Promise((r) => setTimeout(r, 2));
  if (process.env.FAIL_ITEM && item === Number(process.env.FAIL_ITEM)) throw new Error("item " + item + " is bad");
  return item * 2;
};
export default new Pipeline({ name: "big", steps: [
  new FunctionTask({ name: "make", function: items, returns: ["xs"] }),
  new MapNode({ name: "fanout", iterateOn: "xs", iterateAs: "item", branch: new FunctionTask({ name: "double", function: work, returns: ["y"] }).asPipeline() }),
  new FunctionTask({ name: "count", function: ({ y }: { y: number[] }) => y.length, returns: ["total"] }),
] });
`;

beforeAll(() => {
  work = tempDir("runnable-progress-");
  file = writePipeline(work.dir, "big.ts", PIPELINE);
});
afterAll(() => work.cleanup());

describe("progress of a 1,000-item Map", () => {
  it("not a terminal: one line per step, none per iteration, the failed iteration listed", async () => {
    const ok = await runCli(["run", file, "--run-id", "plain-1"], { cwd: work.dir, env: { RUNNABLE_PRM_n: "1000" } });
    expect(ok.code, ok.stderr).toBe(0);
    const lines = ok.stderr.trimEnd().split("\n");
    expect(lines.length).toBeLessThan(30);
    expect(lines.filter((l) => l.includes("fanout.")).length).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/^SUCCESS fanout  \S+ m?s  1000\/1000 items$/));
    expect(lines).toContainEqual(expect.stringMatching(/^SUCCESS count  /));
    const failed = await runCli(["run", file, "--run-id", "plain-2"], { cwd: work.dir, env: { RUNNABLE_PRM_n: "1000", FAIL_ITEM: "400" } });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split("\n").length).toBeLessThan(30);
    expect(failed.stderr).toMatch(/^FAIL {4}fanout\.400\.double  \S+ m?s  Error: item 400 is bad$/m);
    expect(failed.stderr).toMatch(/^FAIL {4}fanout  \S+ m?s  \d+\/1000 items, 1 ✗ /m);
  });

  it("terminal: the screen keeps one line per step and the summary; the live region is gone at the end", () => {
    const session = `runnable-progress-${process.pid}`;
    const done = join(work.dir, "tty.done");
    const command = `cd ${work.dir} && RUNNABLE_PRM_n=1000 ${process.execPath} ${BIN} run ${file} --run-id tty-1 > /dev/null; echo $? > ${done}; sleep 60`;
    execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "120", "-y", "80", command]);
    try {
      const deadline = Date.now() + 90_000;
      while (!existsSync(done) && Date.now() < deadline) execFileSync("sleep", ["0.3"]);
      expect(readFileSync(done, "utf8").trim()).toBe("0");
      const screen = execFileSync("tmux", ["capture-pane", "-p", "-t", session], { encoding: "utf8" }).split("\n").filter((l) => l.trim() !== "");
      expect(screen.length).toBeLessThan(30);
      expect(screen[0]).toMatch(/^✓ make {2}\S+ m?s$/);
      expect(screen[1]).toMatch(/^✓ fanout {2}\S+ m?s {2}1000\/1000 items$/);
      expect(screen[2]).toMatch(/^✓ count {2}/);
      expect(screen[3]).toMatch(/^SUCCESS {2}run tty-1 /);
      expect(screen.join("\n")).not.toMatch(/steps \d|elapsed|fanout\.\d/);
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session]);
    }
  }, 120_000);
});
