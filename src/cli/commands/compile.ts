import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { compile } from "../../compile/index.js";
import { estimateCost, formatCost } from "../../compile/cost.js";
import { explain } from "../../compile/explain.js";
import { UsageError } from "../../sdk/errors.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";
import { loadPipelineFile } from "../../load/index.js";

interface CompileFlags {
  output?: string;
  explain?: boolean;
  express?: boolean;
  mapItems?: string[];
  json?: boolean;
}

function parseMapItems(values: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^(.+)=(\d+)$/.exec(v);
    if (!m) throw new UsageError(`--map-items ${JSON.stringify(v)}: expected <map path>=<item count>, e.g. fanout=500`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * `runnable compile <file> [-o out.json] [--explain] [--express] [--map-items path=n …]`: the
 * pipeline as an AWS Step Functions definition. Without -o the definition goes to stdout (unless
 * --explain, which prints the state ↔ step mapping and the cost estimate instead). Exit 2 on a
 * DefinitionError (quota violations included).
 */
export function registerCompile(program: Command, ctx: CommandContext): void {
  program
    .command("compile")
    .description("compile the pipeline to an AWS Step Functions definition (ASL JSON)")
    .argument("<file>", "pipeline file")
    .option("-o, --output <file>", "write the definition to this file (default: stdout)")
    .option("--explain", "print the state ↔ step mapping and the estimated state transitions per run and per Map iteration")
    .option("--express", "compile for an Express workflow (refused when a step needs compute \"batch\")")
    .option("--map-items <path=count...>", "expected Map sizes, checked against the 25,000-event history quota (and used by the cost estimate)")
    .option("--json", "with --explain: the explanation as JSON (states, functions, job definitions, estimate, cost)")
    .action(ctx.action(async (file: string, flags: CompileFlags) => {
      const { pipeline, fallbackName } = await loadPipelineFile(file);
      const expectedMapItems = parseMapItems(flags.mapItems);
      const result = compile(pipeline, {
        fallbackName,
        expectedMapItems,
        ...(flags.express ? { workflowType: "EXPRESS" as const } : {}),
      });
      const json = JSON.stringify(result.definition, null, 2) + "\n";
      if (flags.output) writeFileSync(flags.output, json);
      else if (!flags.explain) ctx.io.out(json);
      if (flags.explain) {
        const cost = estimateCost(result.graph, { items: expectedMapItems });
        if (flags.json) {
          const { states, functions, jobDefinitions, estimate, workflowType, placeholders } = result;
          ctx.io.out(JSON.stringify({ pipeline: result.graph.name, workflowType, placeholders, states, functions, jobDefinitions, estimate, cost }, null, 2) + "\n");
        } else ctx.io.out(`${explain(result)}\n${formatCost(cost)}`);
      }
      return EXIT.ok;
    }));
}
