import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { codeIdentity } from "../../src/runtime/identity.js";
import { createHash } from "node:crypto";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A repository with one commit holding `pipelines/p/pipeline.ts`; returns its root and the pipeline folder. */
function repo(): { root: string; folder: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), "runnable-identity-"));
  dirs.push(root);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "ignore" });
  git("init", "-q");
  git("config", "user.email", "t@example.com");
  git("config", "user.name", "t");
  const folder = join(root, "pipelines", "p");
  mkdirSync(folder, { recursive: true });
  const file = join(folder, "pipeline.ts");
  writeFileSync(file, "export default 1;\n");
  writeFileSync(join(root, ".gitignore"), "ignored/\n");
  git("add", ".");
  git("commit", "-qm", "init");
  return { root, folder, file };
}

describe("codeIdentity", () => {
  it("is clean right after a commit and records the pipeline file's sha256", () => {
    const { folder, file } = repo();
    const id = codeIdentity({ dir: folder, file });
    expect(id).toMatchObject({ type: "git", commit: expect.stringMatching(/^[0-9a-f]{40}$/), dirty: false, pipelineSha256: sha256("export default 1;\n") });
    expect(id.untracked).toBeUndefined();
  });

  it("counts an untracked file under the pipeline's folder as dirty and names it", () => {
    const { folder, file } = repo();
    writeFileSync(join(folder, "helper.ts"), "export const x = 1;\n");
    const id = codeIdentity({ dir: folder, file });
    expect(id).toMatchObject({ dirty: true, untracked: ["helper.ts"], untrackedCount: 1 });
  });

  it("an untracked pipeline file itself is dirty (it was recorded clean before)", () => {
    const { folder } = repo();
    const other = join(folder, "new-pipeline.ts");
    writeFileSync(other, "export default 2;\n");
    expect(codeIdentity({ dir: folder, file: other })).toMatchObject({ dirty: true, untracked: ["new-pipeline.ts"], pipelineSha256: sha256("export default 2;\n") });
  });

  it("ignores untracked files outside the pipeline's folder, ignored files and the run root", () => {
    const { root, folder, file } = repo();
    writeFileSync(join(root, "notes.txt"), "elsewhere\n");
    mkdirSync(join(folder, "ignored"));
    writeFileSync(join(folder, "ignored", "x.ts"), "\n");
    mkdirSync(join(folder, ".runs", "runs"), { recursive: true });
    writeFileSync(join(folder, ".runs", "runs", "header.json"), "{}\n");
    expect(codeIdentity({ dir: folder, file, exclude: [join(folder, ".runs")] })).toMatchObject({ dirty: false });
  });

  it("a changed tracked file anywhere in the work tree is dirty", () => {
    const { root, folder, file } = repo();
    writeFileSync(join(root, ".gitignore"), "ignored/\nmore/\n");
    expect(codeIdentity({ dir: folder, file })).toMatchObject({ dirty: true });
  });

  it("is type none outside a repository, still with the file's hash", () => {
    const dir = mkdtempSync(join(tmpdir(), "runnable-nogit-"));
    dirs.push(dir);
    const file = join(dir, "p.ts");
    writeFileSync(file, "x");
    expect(codeIdentity({ dir, file })).toEqual({ type: "none", pipelineSha256: sha256("x") });
  });
});
