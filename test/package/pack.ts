import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Global setup of the package tests: `npm pack` once (prepack builds dist/), the tarball's path in
// RUNNABLE_TARBALL for every test worker.
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "runnable-pack-"));
  execFileSync("npm", ["pack", "--pack-destination", dir, "--loglevel=error"], { stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  process.env.RUNNABLE_TARBALL = join(dir, tarball);
  return () => rmSync(dir, { recursive: true, force: true });
}
