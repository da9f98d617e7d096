import { execFile } from "node:child_process";
import { accessSync, constants, realpathSync } from "node:fs";
import path from "node:path";
import { PACKAGE_ROOT } from "../../core/package.js";
import { UsageError } from "../../sdk/errors.js";

/**
 * Finding a Python that can execute notebooks: nbclient + nbformat + jupyter_client, and the step's
 * kernel installed (a Python kernel with ipykernel). Debian packages these under /usr/bin/python3,
 * which need not be the `python3` first on PATH (pyenv, venvs), so both are tried — PATH first, so an
 * activated virtualenv with Jupyter wins. `RUNNABLE_JUPYTER_PYTHON` names the interpreter outright.
 */

/** Debian packages that provide what notebook steps need (also installed by .ci/run and the Dockerfile). */
export const JUPYTER_DEBIAN_PACKAGES = ["python3-nbclient", "python3-ipykernel", "python3-nbformat"] as const;
export const INSTALL_COMMAND = `apt-get install -y ${JUPYTER_DEBIAN_PACKAGES.join(" ")}`;
const INSTALL_HINT = `install Jupyter with \`${INSTALL_COMMAND}\` (Debian/Ubuntu) or \`pip install nbclient nbformat ipykernel\`, `
  + "or set RUNNABLE_JUPYTER_PYTHON to a Python that has them";

/** Environment variable naming the Python interpreter that runs the notebook driver. */
export const PYTHON_ENV = "RUNNABLE_JUPYTER_PYTHON";

/**
 * The driver script (see driver.py). Named from the package root, not beside this module: compiled
 * into dist/ this module has no .py beside it, while the package always ships src/.
 */
export const DRIVER = path.join(PACKAGE_ROOT, "src", "runtime", "notebook", "driver.py");

/** Environment of every driver process: quiets the debugger's "frozen modules" warning on each kernel start. */
export const PYTHON_ENV_VARS = { PYDEVD_DISABLE_FILE_VALIDATION: "1" } as const;

/** A Python able to run `kernel`. */
export interface Jupyter {
  python: string;
  kernel: string;
}

/** Notebook steps cannot run on this machine (no Jupyter, no such kernel). Exit code 2: nothing ran. */
export class NotebookSetupError extends UsageError {
  override name = "NotebookSetupError";
}

interface CheckReply {
  ok: boolean;
  problem?: "missing-jupyter" | "missing-kernel" | "not-python" | "kernel-without-ipykernel";
  detail?: string;
  available?: string[];
  language?: string;
  interpreter?: string;
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch { /* next */ }
  }
  return undefined;
}

function realOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** Interpreters to try, in order, without duplicates. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const given = env[PYTHON_ENV];
  if (given) return [given];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const file of [onPath("python3", env), "/usr/bin/python3"]) {
    if (!file || seen.has(realOf(file))) continue;
    seen.add(realOf(file));
    out.push(file);
  }
  return out;
}

function runCheck(python: string, kernel: string): Promise<CheckReply> {
  return new Promise((resolve) => {
    execFile(python, [DRIVER, "check", kernel], { timeout: 60_000, env: { ...process.env, ...PYTHON_ENV_VARS } }, (err, stdout) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as CheckReply);
      } catch {
        const why = (err as NodeJS.ErrnoException | null)?.code === "ENOENT" ? "not found" : err ? err.message.split("\n")[0]! : "no answer";
        resolve({ ok: false, problem: "missing-jupyter", detail: why });
      }
    });
  });
}

function explain(step: string, kernel: string, tried: [string, CheckReply][]): string {
  // A kernel problem is more telling than a Python without Jupyter: report it when one was seen.
  const kernelIssue = tried.find(([, r]) => r.problem !== "missing-jupyter");
  const head = `step "${step}" is a NotebookTask`;
  if (!kernelIssue) {
    const list = tried.map(([p, r]) => `${p} (${r.detail ?? "no Jupyter"})`).join(", ");
    return `${head}, and no Python with Jupyter was found (tried ${list || "nothing: no python3 on PATH"}): ${INSTALL_HINT}`;
  }
  const [python, r] = kernelIssue;
  switch (r.problem) {
    case "missing-kernel": {
      const available = r.available?.length ? r.available.join(", ") : "none";
      const fix = kernel === "python3"
        ? `install it with \`apt-get install -y python3-ipykernel\` or \`${python} -m pip install ipykernel && ${python} -m ipykernel install --user\``
        : "install it, or choose an installed one with the step's kernel option";
      return `${head} on Jupyter kernel "${kernel}", which is not installed (installed kernels: ${available}): ${fix}`;
    }
    case "not-python":
      return `${head} on kernel "${kernel}", which runs ${r.language ?? "another language"}: notebook steps need a Python kernel (parameters and returns are Python code)`;
    default:
      return `${head} on kernel "${kernel}", whose interpreter ${r.interpreter ?? ""} lacks ipykernel: install it with \`apt-get install -y python3-ipykernel\` or \`pip install ipykernel\``;
  }
}

const found = new Map<string, Promise<Jupyter>>();

/**
 * The Python that runs `kernel`'s notebooks, found once per process and kernel (one Python start
 * per interpreter tried, in parallel). Throws NotebookSetupError naming the step and the install command.
 */
export function findJupyter(step: string, kernel: string): Promise<Jupyter> {
  // Keyed by what decides the answer, so a changed environment is looked at afresh.
  const key = [kernel, process.env[PYTHON_ENV] ?? "", process.env.PATH ?? ""].join("\0");
  let pending = found.get(key);
  if (!pending) {
    pending = (async () => {
      // All candidates at once (each is a Python start): the first in order that can run the kernel wins.
      const candidates = pythonCandidates();
      const replies = await Promise.all(candidates.map((python) => runCheck(python, kernel)));
      const ok = replies.findIndex((r) => r.ok);
      if (ok >= 0) return { python: candidates[ok]!, kernel };
      throw new NotebookSetupError(explain(step, kernel, candidates.map((python, i) => [python, replies[i]!])));
    })();
    found.set(key, pending);
    // Not cached when missing: the user may install Jupyter while a server keeps running.
    pending.catch(() => found.delete(key));
  }
  return pending;
}
