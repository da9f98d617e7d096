// A run that dies while a notebook executes (Ctrl-C, `kill`, a crashed runner, a stopped Batch
// container) leaves no Jupyter driver or kernel behind: the driver watches a pipe from the runnable
// process and, when it closes, shuts the kernel down and exits.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN_ARGS, tempDir } from "../helpers/cli.js";
import { pidAlive } from "../helpers/process.js";

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("notebook-interrupt-");
});
afterAll(() => work.cleanup());

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
  }
}

describe("a run killed while its notebook executes", () => {
  it("takes the notebook's driver and kernel with it", async () => {
    const marker = join(work.dir, "pids.json");
    const child = spawn(process.execPath, [...BIN_ARGS, "run", join(import.meta.dirname, "fixtures", "orphan.ts"), "--root", join(work.dir, "store")], {
      cwd: work.dir, env: { ...process.env, NO_COLOR: "1", RUNNABLE_PRM_marker: marker }, stdio: "ignore",
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const pids: number[] = [];
    try {
      await until("the notebook's first cell", () => existsSync(marker), 90_000);
      const { kernel, driver } = JSON.parse(readFileSync(marker, "utf8")) as { kernel: number; driver: number };
      pids.push(kernel, driver);
      expect([pidAlive(kernel), pidAlive(driver)]).toEqual([true, true]);
      child.kill("SIGKILL");
      await exited;
      await until("the kernel and the driver to stop", () => !pidAlive(kernel) && !pidAlive(driver), 30_000);
    } finally {
      // Whatever happened, leave nothing running.
      child.kill("SIGKILL");
      for (const pid of pids.filter(pidAlive)) process.kill(pid, "SIGKILL");
    }
  }, 150_000);
});
