import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type ICommandHooks, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { WILDCARD_REASONS, acknowledge } from "./nag.js";

export interface BundledFunctionProps {
  entry: string;
  projectRoot: string;
  description: string;
  memoryMiB: number;
  timeoutSeconds: number;
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
    this.role = new Role(this, "Role", { assumedBy: new ServicePrincipal("lambda.amazonaws.com"), description: props.description });
    logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB,
      timeout: Duration.seconds(props.timeoutSeconds),
      description: props.description,
      environment: props.environment,
      role: this.role,
      logGroup,
      tracing: Tracing.ACTIVE,
      bundling: {
        minify: true,
        sourceMap: false,
        target: "node22",
        format: OutputFormat.ESM,
        mainFields: ["module", "main"],
        externalModules: ["@aws-sdk/*"],
        forceDockerBundling: false,
        // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
        banner: "import{createRequire as __rq}from'node:module';const require=__rq(import.meta.url);",
        ...(props.nodeModules?.length ? { commandHooks: copyModulesHook(props.projectRoot, props.nodeModules) } : {}),
      },
    });
    acknowledge(this.role, "AwsSolutions-IAM5[Resource::*]", WILDCARD_REASONS.xray);
    acknowledge(this.fn, "AwsSolutions-L1",
      "Pinned to Node.js 22 on purpose: the runtime the handlers are tested against (the repo supports Node >= 20); raise it together with the test matrix.");
  }
}

/**
 * Copies whole packages into the bundle's node_modules: for modules a pipeline loads with a runtime
 * `require()` that esbuild cannot follow (e.g. `ml-xgboost`, which reads its .wasm beside itself).
 */
function copyModulesHook(projectRoot: string, modules: string[]): ICommandHooks {
  const req = createRequire(join(projectRoot, "package.json"));
  const dirs = modules.map((m) => ({ name: m, dir: packageDir(req, m) }));
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_input: string, output: string) => dirs.flatMap(({ name, dir }) => [
      `mkdir -p "${join(output, "node_modules", dirname(name))}"`,
      `cp -R "${dir}" "${join(output, "node_modules", name)}"`,
    ]),
  };
}

function packageDir(req: NodeJS.Require, name: string): string {
  let dir = dirname(req.resolve(name));
  while (!dir.endsWith(join("node_modules", name)) && dirname(dir) !== dir) dir = dirname(dir);
  if (dirname(dir) === dir) throw new Error(`cannot find the package folder of ${name}`);
  return dir;
}
