import { callerFile } from "./caller.js";
import { fail } from "./check.js";
import { TaskBase, type TaskOptions } from "./tasks.js";

/** Jupyter's own rule for kernel names (jupyter_client's kernelspec), with a length cap. */
export const KERNEL_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Options of a NotebookTask. */
export interface NotebookTaskOptions extends Omit<TaskOptions, "compute"> {
  /**
   * The notebook (`.ipynb`), relative to the file that constructs the step (usually the pipeline
   * file), so it is found alike locally, in the emulator and in the deployed Batch image.
   * A code cell tagged `parameters` holds the notebook's defaults: every name it assigns that is in
   * scope is injected in a cell after it (JSON values as Python literals).
   */
  notebook: string;
  /** Jupyter kernel that runs it; a Python kernel. Default "python3". */
  kernel?: string;
  /** Notebook steps always run as AWS Batch jobs when deployed. Default (and only value) "batch". */
  compute?: "batch";
}

/**
 * A step that executes a Jupyter notebook with a real kernel (nbclient), papermill-style: the
 * step's parameters are injected after the cell tagged `parameters`, `returns` are read from the
 * kernel's namespace after the last cell, and the executed notebook (with its outputs) is stored in
 * the catalog as `<stepPath>/<notebook name>.executed.ipynb`.
 */
export class NotebookTask extends TaskBase {
  readonly kind = "notebook" as const;
  /** The notebook path as given (relative to `definedIn`'s folder). */
  readonly notebook: string;
  readonly kernel: string;
  /** The file that constructed this step (absolute), where `notebook` is resolved; undefined when unknown (then the working directory). */
  readonly definedIn: string | undefined;

  constructor(options: NotebookTaskOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "NotebookTask needs an options object");
    const step = typeof options.name === "string" ? options.name : "";
    const compute: unknown = options.compute;
    if (compute !== undefined && compute !== "batch") {
      fail(step, "invalid-compute", `a NotebookTask runs as a Batch job (its kernel needs Python and Jupyter, which Lambda lacks): compute must be "batch" or left out, got ${JSON.stringify(compute)}`);
    }
    super({ ...options, compute: "batch" }, "NotebookTask");
    this.notebook = checkNotebookPath(this.name, options.notebook);
    this.kernel = checkKernel(this.name, options.kernel);
    this.definedIn = callerFile();
  }
}

function checkNotebookPath(step: string, notebook: unknown): string {
  if (typeof notebook !== "string" || notebook.trim() === "") fail(step, "invalid-notebook", "notebook must be the path of an .ipynb file");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(notebook)) fail(step, "invalid-notebook", `notebook ${JSON.stringify(notebook)} contains a control character`);
  if (!notebook.endsWith(".ipynb")) fail(step, "invalid-notebook", `notebook ${JSON.stringify(notebook)} must name an .ipynb file`);
  if (notebook.startsWith("/") || /^[A-Za-z]:[\\/]/.test(notebook) || notebook.startsWith("~")) {
    fail(step, "invalid-notebook", `notebook ${JSON.stringify(notebook)} must be relative to the pipeline file (an absolute path does not exist in the deployed image)`);
  }
  if (notebook.length > 1024) fail(step, "invalid-notebook", "notebook path is longer than 1024 characters");
  return notebook;
}

function checkKernel(step: string, kernel: unknown): string {
  if (kernel === undefined) return "python3";
  if (typeof kernel !== "string" || !KERNEL_NAME.test(kernel)) {
    fail(step, "invalid-kernel", `kernel ${JSON.stringify(kernel)} is not a Jupyter kernel name (${KERNEL_NAME.source})`);
  }
  return kernel;
}
