import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Every temp dir a test (or a process it spawns) makes lands under one folder, removed afterwards:
// thousands of leftover work dirs in /tmp slowed later runs and benchmarks on the same machine.
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "runnable-tests-"));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
