import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UnsafePathError } from "../../src/sdk/errors.js";
import { checkCatalogName, isGlob, resolveInside } from "../../src/store/safe-path.js";

/** Malicious or broken catalog names, each with the reason the error must give. */
const MALICIOUS: [name: string, reason: RegExp][] = [
  ["", /empty/],
  ["../", /ends with \//],
  ["..", /'\.\.'/],
  ["../secret", /'\.\.'/],
  ["a/../../b", /'\.\.'/],
  ["a/b/../../../c", /'\.\.'/],
  ["./../x", /'\.\.'/],
  ["a/..", /'\.\.'/],
  ["/etc/passwd", /absolute/],
  ["//server/share", /absolute/],
  ["/", /absolute/],
  ["..\\windows\\system32", /backslash/],
  ["a\\b", /backslash/],
  ["C:\\x", /backslash/],
  ["C:x", /drive letter/],
  ["c:/Windows/win.ini", /drive letter/],
  ["~/.ssh/id_rsa", /~/],
  ["~root/.bashrc", /~/],
  ["~", /~/],
  ["a\u0000b", /NUL or control/],
  ["report.csv\u0000.png", /NUL or control/],
  ["a\nb", /NUL or control/],
  ["a\rb", /NUL or control/],
  ["tab\there", /NUL or control/],
  ["esc\u001b[31m", /NUL or control/],
  ["del\u007f", /NUL or control/],
  ["c1\u0085", /NUL or control/],
  ["dir/", /ends with \//],
  ["a//b", /empty segment/],
  [".", /working directory itself/],
  ["./", /ends with \//],
  [".objects/x.v8", /reserved/],
  [".internal/map.json", /reserved/],
  ["x".repeat(256), /longer than 255/],
  [("a".repeat(200) + "/").repeat(6) + "z", /longer than 1024/],
];

describe("catalog names", () => {
  it(`rejects ${MALICIOUS.length} malicious names with an UnsafePathError that says why`, () => {
    expect(MALICIOUS.length).toBeGreaterThanOrEqual(25);
    for (const [name, reason] of MALICIOUS) {
      let error: unknown;
      try {
        checkCatalogName(name);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(name)).toBeInstanceOf(UnsafePathError);
      expect((error as Error).message, JSON.stringify(name)).toMatch(reason);
      expect((error as Error).message).toContain("unsafe catalog name");
    }
  });

  it("accepts relative names and normalises ./ segments away", () => {
    expect(checkCatalogName("data/train.csv")).toBe("data/train.csv");
    expect(checkCatalogName("./model.json")).toBe("model.json");
    expect(checkCatalogName("a/./b")).toBe("a/b");
    expect(checkCatalogName(".hidden")).toBe(".hidden");
    expect(checkCatalogName("a..b/..c")).toBe("a..b/..c");
    expect(checkCatalogName("résumé ü.txt")).toBe("résumé ü.txt");
  });

  it("tells globs from names", () => {
    expect(["*.csv", "data/**", "a?.txt", "f[12].csv", "{a,b}.json"].map(isGlob)).toEqual([true, true, true, true, true]);
    expect(["data/train.csv", "plain", "a-b_c.d"].map(isGlob)).toEqual([false, false, false]);
  });
});

describe("resolveInside", () => {
  let base: string;
  let work: string;
  let outside: string;
  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), "runnable-safe-")));
    work = path.join(base, "work");
    outside = path.join(base, "outside");
    await mkdir(path.join(work, "sub"), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, "secret"), "s");
    await symlink(outside, path.join(work, "escape"));                    // folder symlink leading out
    await symlink(path.join(outside, "secret"), path.join(work, "link"));  // file symlink leading out
    await symlink("/etc/passwd", path.join(work, "sub", "passwd"));        // absolute target
    await symlink("../../outside", path.join(work, "sub", "up"));          // relative target
    await symlink(path.join(base, "nowhere"), path.join(work, "dangling")); // would create a file outside
    await symlink(path.join(work, "sub"), path.join(work, "inner"));       // stays inside: fine
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("rejects symlinks that escape the working directory", async () => {
    for (const name of ["escape/secret", "escape/new-file", "link", "sub/passwd", "sub/up/secret", "dangling", "inner/up/secret"]) {
      await expect(resolveInside(work, name), name).rejects.toBeInstanceOf(UnsafePathError);
    }
    await expect(resolveInside(work, "escape/x")).rejects.toThrow(/"escape" is a symlink that leads outside the working directory/);
    await expect(resolveInside(work, "dangling")).rejects.toThrow(/dangling symlink/);
  });

  it("resolves safe names, including symlinks that stay inside, to paths under the working directory", async () => {
    expect(await resolveInside(work, "./out/new.csv")).toBe(path.join(work, "out", "new.csv"));
    expect(await resolveInside(work, "inner/x")).toBe(path.join(work, "inner", "x"));
    await expect(resolveInside(work, "../x")).rejects.toBeInstanceOf(UnsafePathError);
  });

  it("property: of 10,000 random names, every accepted one resolves inside its root", async () => {
    const realWork = await realpath(work);
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "~", "C:", "escape", "link", "inner", "sub", "up", "dangling", "a", ".objects", "..."),
      fc.string({ unit: fc.constantFrom("a", ".", "/", "\\", "~", ":", "\u0000", "\n", "é", " ", "*"), maxLength: 6 }),
    );
    const name = fc.oneof(
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join("/")),
      fc.string({ maxLength: 30 }),
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        let resolved: string;
        try {
          resolved = await resolveInside(work, n);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafePathError);
          return;
        }
        accepted++;
        const outsideOf = (root: string, p: string): boolean => {
          const rel = path.relative(root, p);
          return rel === "" || rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
        };
        expect(outsideOf(work, resolved)).toBe(false);
        // Through symlinks too: the deepest existing ancestor's real path is inside the real root.
        let probe = resolved;
        for (;;) {
          const real = await realpath(probe).catch(() => undefined);
          if (real !== undefined) {
            expect(real === realWork || !outsideOf(realWork, real)).toBe(true);
            break;
          }
          probe = path.dirname(probe);
        }
      }),
      { numRuns: 10_000, seed: 42 },
    );
    // The generator must exercise both sides, or the property says nothing.
    expect(accepted).toBeGreaterThan(500);
  });
});
