import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../core/package.js";
import { UsageError } from "../sdk/errors.js";

/**
 * `runnable init [dir]`: a project that runs (`npx runnable run pipeline.ts`), typechecks
 * (`npx tsc --noEmit`) and deploys (`npx cdk synth` / `npx cdk deploy`) as it is. Files come from
 * the package's templates/init folder; package.json only gains what is missing. Never overwrites:
 * a file that exists with other content is a conflict, and then nothing is written. Running it
 * again changes nothing.
 */

/** What init does to one file. */
export interface InitStep {
  /** Path relative to the project folder. */
  path: string;
  action: "create" | "update" | "unchanged" | "conflict";
  /** For "update": the package.json entries added. For "conflict": why. */
  detail?: string;
  content?: string;
}

type PackageJson = Record<string, unknown> & {
  type?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

const TEMPLATES = join(PACKAGE_ROOT, "templates", "init");

/** Template file → path in the project (npm drops files named .gitignore from packages). */
const TEMPLATE_FILES: Record<string, string> = {
  "pipeline.ts": "pipeline.ts",
  "parameters.yaml": "parameters.yaml",
  "cdk/app.ts": "cdk/app.ts",
  gitignore: ".gitignore",
};

/** The tools a scaffolded project uses, at the versions runnable-ts is tested with. */
function versions(): { own: string; dev: Record<string, string> } {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
    version: string; dependencies: Record<string, string>; devDependencies: Record<string, string>;
  };
  const pick = (name: string): string => `^${pkg.devDependencies[name] ?? pkg.dependencies[name]}`;
  const dev = Object.fromEntries(["aws-cdk", "aws-cdk-lib", "constructs", "cdk-nag", "typescript", "tsx", "@types/node"].map((n) => [n, pick(n)]));
  return { own: `^${pkg.version}`, dev };
}

/** The project's tsconfig: strict; `verbatimModuleSyntax` only in an ES module package (it forbids `import` in CommonJS files). */
function tsconfig(esm: boolean): string {
  const compilerOptions = {
    target: "es2022", module: "nodenext", types: ["node"], strict: true,
    noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, verbatimModuleSyntax: esm,
    isolatedModules: true, skipLibCheck: true, noEmit: true,
  };
  return `${JSON.stringify({ compilerOptions, exclude: ["node_modules", "cdk.out"] }, null, 2)}\n`;
}

/** cdk.json: the app run with tsx, and the feature flags runnable-ts's constructs are tested with. */
function cdkJson(): string {
  const own = JSON.parse(readFileSync(join(PACKAGE_ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> };
  return `${JSON.stringify({ app: "node --import tsx cdk/app.ts", context: own.context }, null, 2)}\n`;
}

function fileStep(dir: string, path: string, content: string): InitStep {
  const target = join(dir, path);
  if (!existsSync(target)) return { path, action: "create", content };
  if (readFileSync(target, "utf8") === content) return { path, action: "unchanged" };
  return { path, action: "conflict", detail: "exists with other content" };
}

/** package.json: created, or completed with the dependencies it lacks (existing entries are kept as they are). */
function packageStep(dir: string): { step: InitStep; esm: boolean } {
  const { own, dev } = versions();
  const target = join(dir, "package.json");
  if (!existsSync(target)) {
    const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]/g, "-").replace(/^[._-]+/, "") || "pipelines";
    const pkg = { name, version: "0.1.0", private: true, type: "module", dependencies: { "runnable-ts": own }, devDependencies: dev };
    return { step: { path: "package.json", action: "create", content: `${JSON.stringify(pkg, null, 2)}\n` }, esm: true };
  }
  let pkg: PackageJson;
  try {
    pkg = JSON.parse(readFileSync(target, "utf8")) as PackageJson;
  } catch (error) {
    return { step: { path: "package.json", action: "conflict", detail: `is not valid JSON (${(error as Error).message})` }, esm: false };
  }
  const esm = pkg.type === "module";
  const has = (name: string): boolean => pkg.dependencies?.[name] !== undefined || pkg.devDependencies?.[name] !== undefined;
  const added: string[] = [];
  if (!has("runnable-ts")) {
    pkg.dependencies = { ...pkg.dependencies, "runnable-ts": own };
    added.push("runnable-ts");
  }
  for (const [name, range] of Object.entries(dev)) {
    if (has(name)) continue;
    pkg.devDependencies = { ...pkg.devDependencies, [name]: range };
    added.push(name);
  }
  if (added.length === 0) return { step: { path: "package.json", action: "unchanged" }, esm };
  return { step: { path: "package.json", action: "update", detail: added.join(", "), content: `${JSON.stringify(pkg, null, 2)}\n` }, esm };
}

/** What `init` would do in `dir`, without writing anything. */
export function planInit(dir: string): InitStep[] {
  const { step, esm } = packageStep(dir);
  const files = Object.entries(TEMPLATE_FILES).map(([template, path]) => fileStep(dir, path, readFileSync(join(TEMPLATES, template), "utf8")));
  return [step, fileStep(dir, "tsconfig.json", tsconfig(esm)), fileStep(dir, "cdk.json", cdkJson()), ...files];
}

/** Carries out a plan; refuses (UsageError, nothing written) when any step is a conflict. */
export function applyInit(dir: string, plan: readonly InitStep[]): void {
  const conflicts = plan.filter((s) => s.action === "conflict");
  if (conflicts.length > 0) {
    const list = conflicts.map((c) => `  ${c.path}: ${c.detail}`).join("\n");
    throw new UsageError(`runnable init would overwrite files in ${dir}; nothing was written:\n${list}\nMove them away (or run init in another folder) and run it again.`);
  }
  for (const step of plan) {
    if (step.content === undefined || (step.action !== "create" && step.action !== "update")) continue;
    const target = join(dir, step.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, step.content);
  }
}
