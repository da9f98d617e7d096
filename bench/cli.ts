// Start-up cost of the installed CLI, as a user meets it: `npm pack`, the tarball installed into a
// fresh `npm init -y` project, then `runnable --help` against `node -e 0` (target ≤ 3×) and the wall
// time of `runnable run` on a 1-step pipeline file, process start to exit (target ≤ 400 ms).
// The CLI is run as node_modules/.bin/runnable; `npx` adds its own start-up (also reported).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ONE_STEP = `import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ steps: [new FunctionTask({ name: "one", function: () => 1, returns: ["x"] })] });
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median wall time (ms) of `runs` runs of a command, each checked to exit 0. */
function wall(cwd: string, command: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  }
  return Math.round(median(times));
}

export function bench(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "runnable-bench-cli-"));
  try {
    execFileSync("npm", ["pack", "--pack-destination", dir, "--loglevel=error"], { stdio: ["ignore", "ignore", "inherit"] });
    const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!);
    const project = join(dir, "app");
    execFileSync("mkdir", [project]);
    execFileSync("npm", ["init", "-y"], { cwd: project, stdio: "ignore" });
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball], { cwd: project, stdio: "ignore" });
    writeFileSync(join(project, "one.ts"), ONE_STEP);
    const bin = join(project, "node_modules", ".bin", "runnable");
    const node = wall(project, process.execPath, ["-e", "0"], 21);
    const help = wall(project, bin, ["--help"], 21);
    wall(project, bin, ["run", "one.ts"], 1); // first run: tsx's transform cache, disk caches
    const run = wall(project, bin, ["run", "one.ts"], 11);
    const npxHelp = wall(project, "npx", ["runnable", "--help"], 5);
    return {
      node_startup_ms: node,
      cli_help_ms: help,
      cli_help_vs_node: Math.round((help / node) * 100) / 100,
      cli_run_1step_ms: run,
      npx_help_ms: npxHelp,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
