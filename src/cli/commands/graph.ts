import { writeFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { buildGraph } from "../../graph/index.js";
import type { RootGraph } from "../../graph/types.js";
import type { CommandContext } from "../context.js";
import { toDot } from "../dot.js";
import { EXIT } from "../io.js";
import { loadPipelineFile } from "../../load/index.js";
import { toMermaid } from "../mermaid.js";

const FORMATS: Record<string, (graph: RootGraph) => Promise<string> | string> = {
  mermaid: toMermaid,
  dot: toDot,
  // The same layout as the web UI's run page; loaded on use (dagre).
  svg: async (graph) => {
    const [{ layoutPipeline }, { renderSvg }] = await Promise.all([import("../../view/layout.js"), import("../../view/svg.js")]);
    return renderSvg(layoutPipeline(graph));
  },
};

/** `runnable graph <file>`: the pipeline as Mermaid (default), Graphviz dot or SVG; nested branches as subgraphs/groups. */
export function registerGraph(program: Command, ctx: CommandContext): void {
  program
    .command("graph")
    .description("draw the pipeline: Mermaid flowchart (default), Graphviz dot, or SVG")
    .argument("<file>", "pipeline file")
    .addOption(new Option("--format <format>", "output format").choices(Object.keys(FORMATS)).default("mermaid"))
    .option("-o, --output <file>", "write to this file instead of stdout")
    .action(ctx.action(async (file: string, flags: { format: string; output?: string }) => {
      const { pipeline, fallbackName } = await loadPipelineFile(file);
      const text = await FORMATS[flags.format]!(buildGraph(pipeline, { fallbackName }).graph);
      if (flags.output !== undefined) {
        writeFileSync(flags.output, text);
        ctx.io.err(`wrote ${flags.output}\n`);
      } else ctx.io.out(text);
      return EXIT.ok;
    }));
}
