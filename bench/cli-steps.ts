// Per-step cost through the CLI, progress output included: `runnable run` (from the sources, as
// `npm run runnable` starts it) of a 1-step and a 101-step linear pipeline, stderr (the progress)
// piped as in CI; cli_step_overhead_ms = (T(101) − T(1)) ÷ 100, medians of 9 interleaved runs.
// Process start and module loading cancel out; what is left is what each step adds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));

const fixture = fileURLToPath(new URL("./fixtures/linear-n.ts", import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function bench(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "runnable-bench-cli-steps-"));
  try {
    const run = (steps: number): number => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ["--conditions=runnable-ts-source", "--import", "tsx", join(repo, "src/cli/bin.ts"), "run", fixture, "--root", join(dir, ".runnable")], {
        cwd: repo, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1", BENCH_STEPS: String(steps) },
      });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`runnable run (${steps} steps) exited ${r.status}: ${r.stderr.toString()}`);
      return ms;
    };
    [1, 101].forEach(run); // warm-up: tsx's transform cache
    const [ones, longs]: [number[], number[]] = [[], []];
    for (let i = 0; i < 9; i++) {
      ones.push(run(1));
      longs.push(run(101));
    }
    return {
      cli_run_1step_sources_ms: Math.round(median(ones)),
      cli_run_101step_sources_ms: Math.round(median(longs)),
      cli_step_overhead_ms: Math.round(((median(longs) - median(ones)) / 100) * 1000) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
