import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { inWorkingDir } from "../runtime/cwd.js";

/**
 * `isolate`: every step attempt of a local run works in a fresh, empty directory under
 * `<root>/work/<runId>/`, removed when the attempt ends, so files move between steps only through
 * the catalog — as on Lambda/Batch, and as the emulator's handlers run — and two runs in one
 * directory never see each other's files. A ShellTask gets the directory as its working directory;
 * an in-process FunctionTask gets it as `process.cwd()`, which is one per process: function steps
 * therefore take turns (one at a time, its awaits included) while shell steps still run at once.
 */
export class Isolation {
  constructor(readonly dir: string) {}

  static forRun(root: string, runId: string): Isolation {
    return new Isolation(path.resolve(root, "work", runId));
  }

  /** Runs one attempt of `stepPath` in a fresh directory (made the process's cwd for a function step). */
  async attempt<T>(stepPath: string, kind: "function" | "shell" | "notebook", work: (dir: string) => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    const dir = await mkdtemp(path.join(this.dir, `${stepPath}-`));
    try {
      // Shell commands and notebook kernels are child processes started in `dir`: no chdir, no turns.
      if (kind !== "function") return await work(dir);
      return await inWorkingDir(dir, () => work(dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Removes the run's work folder (what attempts left is already gone). */
  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
