import { Duration, RemovalPolicy, Size } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type ICommandHooks, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BUNDLE } from "./bundling.js";
import { WILDCARD_REASONS, acknowledge } from "./nag.js";

export interface BundledFunctionProps {
  entry: string;
  projectRoot: string;
  description: string;
  memoryMiB: number;
  timeoutSeconds: number;
  /** Default "arm64". */
  architecture?: "arm64" | "x86_64";
  /** `/tmp` in MiB. Default 512 (Lambda's default). */
  ephemeralStorageMiB?: number;
  /** A role to share (functions of one pipeline run the same code). Default: a new role of its own. */
  role?: Role;
  environment: Record<string, string>;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
  /** Packages copied beside the bundle (loaded at run time with require(), e.g. wasm modules). Default none. */
  nodeModules?: string[];
}

/**
 * A Node 22 Lambda bundled by local esbuild (no Docker): one minified ESM file, the AWS SDK v3
 * left out (the runtime provides it), its own role with no managed policies (logs: its own log
 * group only), X-Ray tracing on.
 */
export class BundledFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // An explicit role instead of the default one, which would attach AWSLambdaBasicExecutionRole
    // (a managed policy allowing writes to every log group of the account).
    this.role = props.role ?? new Role(this, "Role", { assumedBy: new ServicePrincipal("lambda.amazonaws.com"), description: props.description });
    logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture === "x86_64" ? Architecture.X86_64 : Architecture.ARM_64,
      memorySize: props.memoryMiB,
      ...(props.ephemeralStorageMiB !== undefined && props.ephemeralStorageMiB !== 512 ? { ephemeralStorageSize: Size.mebibytes(props.ephemeralStorageMiB) } : {}),
      timeout: Duration.seconds(props.timeoutSeconds),
      description: props.description,
      environment: props.environment,
      role: this.role,
      logGroup,
      tracing: Tracing.ACTIVE,
      bundling: {
        minify: BUNDLE.minify,
        sourceMap: false,
        target: BUNDLE.target,
        format: OutputFormat.ESM,
        mainFields: [...BUNDLE.mainFields],
        // The clients come from the Node.js 22 runtime's AWS SDK v3; helpers such as
        // @aws-sdk/lib-storage are not guaranteed there, so they are bundled.
        externalModules: [...BUNDLE.external],
        ...(BUNDLE.conditions ? { esbuildArgs: { "--conditions": BUNDLE.conditions.join(",") } } : {}),
        forceDockerBundling: false,
        banner: BUNDLE.banner,
        ...(props.nodeModules?.length ? { commandHooks: copyModulesHook(props.projectRoot, props.nodeModules) } : {}),
      },
    });
    if (!props.role) acknowledge(this.role, "AwsSolutions-IAM5[Resource::*]", WILDCARD_REASONS.xray);
    acknowledge(this.fn, "AwsSolutions-L1",
      "Pinned to Node.js 22 on purpose: the runtime the handlers are tested against (the repo supports Node >= 20); raise it together with the test matrix.");
  }
}

/**
 * Copies packages with their dependencies into the bundle's node_modules: for modules a pipeline
 * loads with a runtime `require()` that esbuild cannot follow (e.g. `ml-xgboost`, which reads its
 * .wasm beside itself). Layout is kept: hoisted dependencies go to the top, nested ones come along
 * inside their parent.
 */
function copyModulesHook(projectRoot: string, modules: string[]): ICommandHooks {
  const dirs = moduleClosure(projectRoot, modules);
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_input: string, output: string) => dirs.flatMap(({ name, dir }) => [
      `mkdir -p "${join(output, "node_modules", dirname(name))}"`,
      `cp -R "${dir}" "${join(output, "node_modules", name)}"`,
    ]),
  };
}

/** Node's lookup: the nearest `node_modules/<name>` walking up from `from`. */
function findPackage(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The packages and every dependency they resolve to, as top-level copies (nested ones travel with their parent). */
export function moduleClosure(projectRoot: string, modules: string[]): { name: string; dir: string }[] {
  const top = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (name: string, from: string): void => {
    const dir = findPackage(from, name);
    if (!dir) throw new Error(`cannot find package ${name} (needed at run time) from ${from}`);
    if (seen.has(dir)) return;
    seen.add(dir);
    // Nested under a package already copied: it travels with that package's folder.
    const nested = [...top.values()].some((t) => dir.startsWith(join(t, "node_modules")));
    if (!nested && !top.has(name)) top.set(name, dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (findPackage(dir, dep)) visit(dep, dir);
      else if (!pkg.optionalDependencies?.[dep]) throw new Error(`cannot find package ${dep}, a dependency of ${name}`);
    }
  };
  for (const m of modules) visit(m, projectRoot);
  return [...top].map(([name, dir]) => ({ name, dir }));
}
