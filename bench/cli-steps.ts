// Per-step cost through the CLI, progress output included: `runnable run` (from the sources, as
// `npm run runnable` starts it) of a 1-step and a 101-step linear pipeline, stderr (the progress)
// piped as in CI; cli_step_overhead_ms = (T(101) − T(1)) ÷ 100, medians of 9 interleaved runs, and
// cli_step_overhead_1001_ms = (T(1001) − T(1)) ÷ 1000, steadier on a busy machine.
// Process start and module loading cancel out; what is left is what each step adds.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
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
    // CPU time (user + sys, from GNU time when present) moves far less with other jobs than wall time.
    const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
    const cpu: Record<number, number[]> = { 1: [], 101: [], 1001: [] };
    const run = (steps: number): number => {
      const node = [process.execPath, "--conditions=runnable-ts-source", "--import", "tsx", join(repo, "src/cli/bin.ts"), "run", fixture, "--root", join(dir, ".runnable")];
      const cpuFile = join(dir, "cpu.txt");
      const [command, ...args] = timeBin ? [timeBin, "-o", cpuFile, "-f", "%U %S", ...node] : node;
      const t0 = performance.now();
      const r = spawnSync(command!, args, {
        cwd: repo, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1", BENCH_STEPS: String(steps) },
      });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`runnable run (${steps} steps) exited ${r.status}: ${r.stderr.toString()}`);
      if (timeBin) cpu[steps]?.push(readFileSync(cpuFile, "utf8").trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0) * 1000);
      return ms;
    };
    [1, 101].forEach(run); // warm-up: tsx's transform cache
    cpu[1] = [];
    cpu[101] = [];
    const [ones, longs, longer]: [number[], number[], number[]] = [[], [], []];
    for (let i = 0; i < 9; i++) {
      ones.push(run(1));
      longs.push(run(101));
      longer.push(run(1001));
    }
    return {
      cli_run_1step_sources_ms: Math.round(median(ones)),
      cli_run_101step_sources_ms: Math.round(median(longs)),
      cli_step_overhead_ms: Math.round(((median(longs) - median(ones)) / 100) * 1000) / 1000,
      // 1,000 steps apart: a burst of load during one process start moves this one 10× less.
      cli_run_1001step_sources_ms: Math.round(median(longer)),
      cli_step_overhead_1001_ms: Math.round(((median(longer) - median(ones)) / 1000) * 1000) / 1000,
      ...(timeBin ? {
        cli_step_cpu_ms: Math.round(((median(cpu[101]) - median(cpu[1])) / 100) * 1000) / 1000,
        cli_step_cpu_1001_ms: Math.round(((median(cpu[1001]!) - median(cpu[1])) / 1000) * 1000) / 1000,
      } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
