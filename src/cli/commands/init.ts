import type { Command } from "commander";
import { applyInit, planInit } from "../../init/scaffold.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../io.js";

/** `runnable init [dir]`: scaffold a project that runs, typechecks and deploys as it is. */
export function registerInit(program: Command, ctx: CommandContext): void {
  program
    .command("init")
    .description("create a project: pipeline, parameters, tsconfig, CDK app (never overwrites files)")
    .argument("[dir]", "project folder (created if missing)", ".")
    .action(ctx.action(async (dir: string) => {
      const plan = planInit(dir);
      applyInit(dir, plan);
      for (const step of plan) {
        const what = step.action === "update" ? `updated (added ${step.detail})` : step.action === "create" ? "created" : "unchanged";
        ctx.io.err(`${what.padEnd(10)} ${step.path}\n`);
      }
      const changed = plan.some((s) => s.action === "create" || s.action === "update");
      const cd = dir === "." ? "" : `cd ${dir} && `;
      ctx.io.err(changed
        ? `\nNext: ${cd}npm install, then\n  npx runnable run pipeline.ts   # run it here\n  npx tsc --noEmit               # typecheck\n  npx cdk synth                  # the CloudFormation template (npx cdk deploy to deploy)\n`
        : "\nNothing to do: the project is already set up.\n");
      return EXIT.ok;
    }));
}
