import type { Command } from "commander";
import { buildGraph } from "../../graph/index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";
import { loadPipelineFile } from "../../load/index.js";
import { toMermaid } from "../mermaid.js";

/** `runnable graph <file>`: the pipeline as Mermaid flowchart text (nested branches as subgraphs). */
export function registerGraph(program: Command, ctx: CommandContext): void {
  program
    .command("graph")
    .description("print the pipeline as a Mermaid flowchart")
    .argument("<file>", "pipeline file")
    .action(ctx.action(async (file: string) => {
      const { pipeline, fallbackName } = await loadPipelineFile(file);
      ctx.io.out(toMermaid(buildGraph(pipeline, { fallbackName }).graph));
      return EXIT.ok;
    }));
}
