// NotebookTask as a definition: construction checks, its graph node, compiled Batch task, graph
// picture, parameters-cell parsing — no kernel needed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toMermaid } from "../../src/cli/mermaid.js";
import { compile, validateAsl } from "../../src/compile/index.js";
import { buildGraph } from "../../src/graph/index.js";
import { materialise } from "../../src/runtime/objects.js";
import { INSTALL_COMMAND, JUPYTER_DEBIAN_PACKAGES } from "../../src/runtime/notebook/jupyter.js";
import { assignedNames, parseNotebook } from "../../src/runtime/notebook/notebook-file.js";
import { executedName } from "../../src/runtime/notebook/execute.js";
import { notebookParameters } from "../../src/runtime/notebook/preflight.js";
import { DefinitionError, FunctionTask, NotebookTask, Pipeline, metric, object } from "../../src/sdk/index.js";

const REPO = join(import.meta.dirname, "..", "..");

function problem(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return (e as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

describe("new NotebookTask(...)", () => {
  it("defaults: kernel python3, compute batch, resolved beside the file that constructs it", () => {
    const t = new NotebookTask({ name: "analyse", notebook: "nb/analysis.ipynb", returns: [metric("score")] });
    expect(t).toMatchObject({ kind: "notebook", notebook: "nb/analysis.ipynb", kernel: "python3", compute: "batch" });
    expect(t.definedIn).toBe(join(import.meta.dirname, "definition.test.ts"));
  });

  it("refuses bad options, naming the step", () => {
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "a.ipynb", compute: "lambda" as never })))
      .toBe('step "nb": a NotebookTask runs as a Batch job (its kernel needs Python and Jupyter, which Lambda lacks): compute must be "batch" or left out, got "lambda"');
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "analysis.py" }))).toBe('step "nb": notebook "analysis.py" must name an .ipynb file');
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "/home/me/a.ipynb" })))
      .toMatch(/^step "nb": notebook "\/home\/me\/a.ipynb" must be relative to the pipeline file/);
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "" }))).toBe('step "nb": notebook must be the path of an .ipynb file');
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "a\nb.ipynb" }))).toMatch(/contains a control character/);
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "a.ipynb", kernel: "python 3" })))
      .toBe('step "nb": kernel "python 3" is not a Jupyter kernel name (^[A-Za-z0-9._-]{1,64}$)');
    expect(problem(() => new NotebookTask({ name: "1nb", notebook: "a.ipynb" }))).toMatch(/NotebookTask name "1nb" is invalid/);
    expect(problem(() => new NotebookTask({ name: "nb", notebook: "a.ipynb", returns: ["ok", "not-ok"] }))).toMatch(/step "nb": returns\[1\]/);
  });
});

describe("a NotebookTask in the graph, the compiled machine and the picture", () => {
  const pipeline = (notebook: string, timeoutSeconds = 600) => new Pipeline({
    name: "nb",
    steps: [
      new FunctionTask({ name: "prep", function: () => 1, returns: ["x"] }),
      new NotebookTask({ name: "analyse", notebook, returns: ["summary", object("model")], timeoutSeconds, resources: { memoryMiB: 4096 } }),
    ],
  });

  it("is a task node with its notebook and kernel; the notebook path is part of the dagHash", () => {
    const { graph } = buildGraph(pipeline("analysis.ipynb"));
    expect(graph.steps[1]).toEqual({
      kind: "notebook", name: "analyse", path: "analyse", notebook: "analysis.ipynb", kernel: "python3", compute: "batch",
      returns: [{ name: "summary", kind: "json" }, { name: "model", kind: "object" }],
      retry: { attempts: 1, intervalSeconds: 1, backoffRate: 2 }, timeoutSeconds: 600, memoryMiB: 4096,
    });
    expect(buildGraph(pipeline("other.ipynb")).graph.dagHash).not.toBe(graph.dagHash);
  });

  it("is held to AWS Batch's limits in every mode, as the Batch job it is deployed as", () => {
    expect(() => buildGraph(pipeline("analysis.ipynb", 30))).toThrow('step "analyse": timeoutSeconds 30 is below AWS Batch\'s minimum job timeout of 60 s');
  });

  it("compiles to a Batch job (submitJob.sync) with its resources, in a Standard workflow", async () => {
    const result = compile(pipeline("analysis.ipynb"));
    expect(result.workflowType).toBe("STANDARD");
    const task = Object.values(result.definition.States).find((s) => s.Type === "Task" && s.Resource === "arn:aws:states:::batch:submitJob.sync");
    expect(task).toMatchObject({
      Parameters: {
        JobName: "analyse",
        ContainerOverrides: { ResourceRequirements: [{ Type: "VCPU", Value: "0.5" }, { Type: "MEMORY", Value: "4096" }] },
        Timeout: { AttemptDurationSeconds: 630 }, // timeoutSeconds + the grace the handler gets to record a timed-out attempt
      },
    });
    expect(JSON.stringify(task)).toContain(String.raw`\"path\":\"analyse\"`);
    expect(validateAsl(result.definition).isValid).toBe(true);
  });

  it("shows in `runnable graph` as a notebook step", () => {
    expect(toMermaid(buildGraph(pipeline("analysis.ipynb")).graph)).toContain('n_analyse["analyse (notebook analysis.ipynb)<br/>→ summary, model"]');
  });
});

describe("reading a notebook's parameters cell", () => {
  it("finds the names assigned at the start of a line (papermill's rule)", () => {
    expect(assignedNames([
      "alpha = 0.5  # learning rate", "name: str = 'x'", "rows, cols = 2, 3", "items = [", "    1,", "]", "# hidden = 1",
      "if alpha == 1:", "    inner = 2", "else: y = 3", "count += 1", "alpha = 0.7", "flag==True", "data: dict = {}",
    ].join("\n"))).toEqual(["alpha", "name", "rows", "cols", "items", "data"]);
  });

  it("takes the first code cell tagged parameters; says what is wrong with a file that is not a notebook", () => {
    const nb = (cells: unknown[], nbformat = 4) => JSON.stringify({ nbformat, nbformat_minor: 5, metadata: {}, cells });
    const tagged = (source: string | string[], cell_type = "code") => ({ cell_type, metadata: { tags: ["parameters"] }, source });
    expect(parseNotebook(nb([{ cell_type: "code", metadata: {}, source: "a = 1" }, tagged("b = 2"), tagged("c = 3")])))
      .toEqual({ cells: 3, parametersCell: 1, parameters: ["b"] });
    expect(parseNotebook(nb([tagged("m = 1", "markdown"), tagged(["x = 1\n", "y = 2"])]))).toEqual({ cells: 2, parametersCell: 1, parameters: ["x", "y"] });
    expect(parseNotebook(nb([]))).toEqual({ cells: 0, parametersCell: undefined, parameters: [] });
    expect(() => parseNotebook("{ nope")).toThrow(/^it is not a notebook \(not JSON/);
    expect(() => parseNotebook("{}")).toThrow('it is not a notebook (no "cells" list)');
    expect(() => parseNotebook(nb([], 3))).toThrow("it is nbformat 3: only nbformat 4 notebooks are supported");
  });

  it("lists each notebook step's parameters (for static checks and --help), resolved beside the defining file", async () => {
    const built = buildGraph(new Pipeline({ steps: [
      new NotebookTask({ name: "p", notebook: "fixtures/params.ipynb" }),
      new NotebookTask({ name: "gone", notebook: "fixtures/missing.ipynb" }),
    ] }));
    expect(await notebookParameters(built)).toEqual(new Map([["p", ["alpha", "label", "rows", "cols", "api_token", "unused"]]]));
  });

  it("stores the executed notebook under the step path", () => {
    expect(executedName("fan.2.analyse", "reports/weekly.ipynb")).toBe("fan.2.analyse/weekly.executed.ipynb");
  });
});

describe("pickled notebook objects and TypeScript steps", () => {
  it("a TypeScript step reading an object a notebook pickled gets a clear error, not garbage", () => {
    expect(() => materialise({ $object: ".objects/train/model.pickle" }, new Map())).toThrow(
      ".objects/train/model.pickle is a Python object pickled by a notebook step: only notebook steps can read it");
  });
});

describe("the Jupyter packages are installed where notebooks run", () => {
  it("the deployed Batch image (Dockerfile), CI (.ci/run) and the README's image for your project install what the install hint names", () => {
    expect(INSTALL_COMMAND).toBe("apt-get install -y python3-nbclient python3-ipykernel python3-nbformat");
    for (const file of ["Dockerfile", ".ci/run", "README.md"]) {
      // The lines that install or name what they install (.ci/run keeps the list in a variable).
      const apt = readFileSync(join(REPO, file), "utf8").split("\n").filter((l) => /apt-get install|_PACKAGES=/.test(l)).join(" ");
      for (const pkg of JUPYTER_DEBIAN_PACKAGES) expect(apt, `${file} installs ${pkg}`).toContain(pkg);
      // The example notebook plots with matplotlib.
      expect(apt, `${file} installs python3-matplotlib`).toContain("python3-matplotlib");
    }
  });
});
