import { existsSync } from "node:fs";
import type { Command } from "commander";
import { buildGraph, parameterFlow, type FlowReport } from "../../graph/index.js";
import { foldParameters } from "../../runtime/parameters.js";
import { loadDotEnvSecrets, readSecrets, unsetSecrets } from "../../runtime/secrets.js";
import { validatedParameters } from "../../runtime/create-run.js";
import { DefinitionError, UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT, errorJson, formatError } from "../io.js";
import { defaultParametersFile, loadPipelineFile } from "../../load/index.js";
import { collect, parseAssignments } from "../parameters.js";
import { notebookParameters } from "../../runtime/notebook/preflight.js";

interface CheckFlags {
  parameters?: string;
  param?: string[];
  json?: boolean;
}

/**
 * `runnable check <file>`: every static check `runnable run` makes before it runs anything — the
 * definition, the parameters (schema), the parameter flow, the declared secrets (set in the
 * environment or ./.env) — with the parameters `run` would use,
 * and nothing run. Prints which step reads what and who provides it. Exit 0, or 2 with the problems.
 */
export function registerCheck(program: Command, ctx: CommandContext): void {
  program
    .command("check")
    .description("check a pipeline without running it: definition, parameters, and what each step reads ← who provides it")
    .argument("<file>", "pipeline file")
    .option("--parameters <file>", "YAML/JSON file of initial parameters (default: parameters.yaml beside the pipeline file, if any)")
    .option("-p, --param <name=value>", "set a parameter, as `run -p` does (repeatable)", collect)
    .option("--json", "print the report as JSON on stdout")
    .action(ctx.action(async (file: string, flags: CheckFlags) => {
      const assignments = parseAssignments(flags.param);
      if (flags.parameters !== undefined && !existsSync(flags.parameters)) throw new UsageError(`--parameters: file ${flags.parameters} does not exist`);
      const { pipeline, source, fallbackName } = await loadPipelineFile(file);
      const built = buildGraph(pipeline, { fallbackName });
      // Declared secrets, as `run` finds them (the environment, then RUNNABLE_SECRET_* lines of ./.env).
      loadDotEnvSecrets();
      const unset = unsetSecrets(built.graph, readSecrets());
      const parametersFile = flags.parameters ?? defaultParametersFile(source);
      const folded = foldParameters({ ...(parametersFile !== undefined ? { parametersFile } : {}), assignments });
      const parameters = await validatedParameters({ built, parameters: folded.values, texts: folded.texts });
      const report = parameterFlow(built.graph, { parameters: Object.keys(parameters), secrets: Object.keys(readSecrets().values), notebookParameters: await notebookParameters(built) });
      const summary = { pipeline: built.graph.name, file: source, parameters: Object.keys(parameters).sort(), reads: report.rows, unknown: report.unknown, open: report.open };
      const failure = report.problems.length ? new DefinitionError(report.problems)
        : unset.length ? new UsageError(`${unset.join("\n")} (a local or emulator run is refused without it; deployed runs read declared secrets from AWS)`) : undefined;
      if (!flags.json) {
        ctx.io.out(formatReport(built.graph.name, summary.parameters, report));
        if (failure) throw failure;
        ctx.io.out("ok: every read is provided on every path\n");
        return EXIT.ok;
      }
      // One JSON document on stdout: the report, with the error when there are problems.
      ctx.io.out(JSON.stringify({ ...summary, ...(failure ? JSON.parse(errorJson(failure)) as object : {}) }, null, 2) + "\n");
      if (failure) ctx.io.err(formatError(failure, false));
      return failure ? EXIT.invalid : EXIT.ok;
    }));
}

function formatReport(name: string, parameters: string[], report: FlowReport): string {
  const lines = [`pipeline ${name}; parameters: ${parameters.length ? parameters.join(", ") : "(none)"}`];
  const rows = [["STEP", "READS", "PROVIDED BY"]];
  for (const r of report.rows) {
    const without = r.via === "notebook" ? "nobody (its parameters cell has a default)" : "nobody (the function can do without it)";
    const by = r.providedBy ?? (r.problem ? `NOT PROVIDED: ${r.problem.replace(/^reads "[^"]+", which /, "")}` : without);
    rows.push([r.step, `${r.name}${r.optional ? "?" : ""}${r.via === "function" ? "" : ` (${r.via})`}`, by]);
  }
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]}`.trimEnd());
  if (report.unknown.length) lines.push(`not checked (their reads cannot be told; state them with reads: [...]): ${report.unknown.join(", ")}`);
  if (report.open.length) lines.push(`may read more than listed (a rest element, the argument passed on): ${report.open.join(", ")}`);
  return lines.join("\n") + "\n";
}
