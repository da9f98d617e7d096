/**
 * The working directory is one per process: whoever sets it for a piece of work — an isolated local
 * function step, a handler invocation in a fresh directory — takes its turn here, one at a time
 * (its awaits included), so two of them never see each other's directory. One chain for the
 * process, whichever code sets it.
 */
let turn: Promise<unknown> = Promise.resolve();

/** Runs `work` with the process's working directory set to `dir`, then restores it. */
export function inWorkingDir<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const mine = turn.then(async () => {
    const back = process.cwd();
    process.chdir(dir);
    try {
      return await work();
    } finally {
      process.chdir(back);
    }
  });
  turn = mine.catch(() => undefined);
  return mine;
}
