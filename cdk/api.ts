import { ArnFormat, RemovalPolicy, Stack } from "aws-cdk-lib";
import {
  AccessLogFormat, AuthorizationType, JsonSchemaType, JsonSchemaVersion, LambdaIntegration, LogGroupLogDestination,
  MethodLoggingLevel, type Model, RequestValidator, ResponseType, RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { EmbeddedPipeline } from "../handlers/api.js";
import { MAX_TAG_LENGTH } from "../src/api/schema.js";
import { writeApiEntry } from "./entries.js";
import { BundledFunction } from "./lambda.js";
import { acknowledge, acknowledgeResource } from "./nag.js";
import type { RunnableStorage } from "./storage.js";

export interface RunnableApiProps {
  projectRoot: string;
  storage: RunnableStorage;
  /** Per pipeline: its graph and defaults (embedded), its state machine, and its step Lambda (asked to validate parameters when the pipeline has a schema). */
  pipelines: Record<string, EmbeddedPipeline & { stateMachine: StateMachine; stepFunction: IFunction }>;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
}

/**
 * The REST API: AWS_IAM auth on every method, request validation (JSON-schema body model and
 * required path parameters), access logs and stage execution logs, one Lambda proxy behind it.
 */
export class RunnableApi extends Construct {
  readonly api: RestApi;
  readonly handler: BundledFunction;

  constructor(scope: Construct, id: string, props: RunnableApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const embedded: Record<string, EmbeddedPipeline> = {};
    for (const [name, p] of Object.entries(props.pipelines)) embedded[name] = { graph: p.graph, defaults: p.defaults };
    // A parameters schema lives in the pipeline module, which only the step Lambda bundles: the API asks it to validate.
    const validators = Object.entries(props.pipelines).filter(([, p]) => p.graph.parameters !== undefined);
    this.handler = new BundledFunction(this, "Handler", {
      entry: writeApiEntry(props.projectRoot, `${stack.stackName}-${this.node.id}`, embedded),
      projectRoot: props.projectRoot,
      description: "runnable-ts runs API: starts executions, reads run logs",
      memoryMiB: 512,
      timeoutSeconds: 29,
      environment: {
        RUNNABLE_BUCKET: props.storage.bucket.bucketName,
        RUNNABLE_PREFIX: props.storage.prefix,
        RUNNABLE_STATE_MACHINES: stack.toJsonString(Object.fromEntries(Object.entries(props.pipelines).map(([n, p]) => [n, p.stateMachine.stateMachineArn]))),
        ...(validators.length ? { RUNNABLE_STEP_FUNCTIONS: stack.toJsonString(Object.fromEntries(validators.map(([n, p]) => [n, p.stepFunction.functionArn]))) } : {}),
      },
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
    });
    // The API writes only run headers (runs/<id>/…) and reads run logs of the pipelines it serves; it never touches catalogs.
    for (const name of Object.keys(props.pipelines)) {
      props.storage.grantPipeline(this.handler.role, name, ["runs"], true,
        `The API writes run headers and reads run-log objects of pipeline ${name}'s runs (runs/<runId>/ under its key scope) for any run id a caller names: keys are not known in advance.`);
    }
    this.handler.role.addToPrincipalPolicy(new PolicyStatement({
      actions: ["states:StartExecution"],
      resources: Object.values(props.pipelines).map((p) => p.stateMachine.stateMachineArn),
    }));
    // Retries: describe the run's last execution, and redrive it when Step Functions can (src/api/aws.ts).
    const executions = Object.values(props.pipelines).map((p) => stack.formatArn({
      service: "states", resource: "execution", resourceName: `${p.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }));
    this.handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["states:DescribeExecution", "states:RedriveExecution"], resources: executions }));
    for (const arn of executions) acknowledgeResource(this.handler.role, arn, "Execution names are run ids (and their retries), not known in advance: describing and redriving them is scoped to this stack's state machines.");
    if (validators.length) {
      this.handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: validators.map(([, p]) => p.stepFunction.functionArn) }));
    }

    const accessLogs = new LogGroup(this, "AccessLogs", { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.api = new RestApi(this, "Api", {
      description: "runnable-ts: start pipeline runs and read their run logs (IAM auth)",
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy,
      deployOptions: {
        stageName: "v1",
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false,
        tracingEnabled: true,
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
      },
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
    });
    // API Gateway's own refusals (bad body, missing signature, throttling…) in the API's error shape.
    for (const [id, type] of [["Default4xx", ResponseType.DEFAULT_4XX], ["Default5xx", ResponseType.DEFAULT_5XX]] as const) {
      this.api.addGatewayResponse(id, {
        type,
        templates: { "application/json": '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}' },
      });
    }
    const integration = new LambdaIntegration(this.handler.fn, { proxy: true });
    const validateBody = new RequestValidator(this, "BodyValidator", { restApi: this.api, validateRequestBody: true, validateRequestParameters: true });
    const validateParams = new RequestValidator(this, "ParamValidator", { restApi: this.api, validateRequestParameters: true });
    const startModel = this.startRunModel();

    const pipelines = this.api.root.addResource("pipelines").addResource("{name}").addResource("runs");
    pipelines.addMethod("POST", integration, {
      requestValidator: validateBody,
      requestModels: { "application/json": startModel },
      requestParameters: { "method.request.path.name": true },
    });
    pipelines.addMethod("GET", integration, {
      requestValidator: validateParams,
      requestParameters: { "method.request.path.name": true, "method.request.querystring.limit": false },
    });
    const runs = this.api.root.addResource("runs");
    // The newest runs of every pipeline (`runnable ui --api`).
    runs.addMethod("GET", integration, {
      requestValidator: validateParams,
      requestParameters: { "method.request.querystring.limit": false, "method.request.querystring.pipeline": false },
    });
    const run = runs.addResource("{runId}");
    run.addMethod("GET", integration, {
      requestValidator: validateParams,
      requestParameters: { "method.request.path.runId": true },
    });
    // `runnable retry --remote`: redrive the run's execution or start a new one (src/api/aws.ts).
    run.addResource("retry").addMethod("POST", integration, {
      requestValidator: validateParams,
      requestParameters: { "method.request.path.runId": true },
    });

    acknowledge(this.api, "AwsSolutions-APIG3",
      "No WAF by default: every method requires SigV4-signed IAM credentials, so anonymous traffic is refused before the integration; attach a WebACL in your own stack if the API is exposed to untrusted principals.");
    acknowledge(this.api, "AwsSolutions-COG4",
      "The API uses IAM authorization (SigV4) instead of a Cognito user pool: callers are AWS principals (CLI, CI), not end users.");
    acknowledge(this.api, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
      "API Gateway's account-level CloudWatch role needs this AWS-managed policy for stage execution logs; it is the documented setup and grants logging only.");
  }

  /** API Gateway copy of `StartRunBody` (src/api/schema.ts), so bad bodies are refused before the Lambda runs. */
  private startRunModel(): Model {
    return this.api.addModel("StartRunBody", {
      contentType: "application/json",
      modelName: "StartRunBody",
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: "StartRunBody",
        type: JsonSchemaType.OBJECT,
        additionalProperties: false,
        properties: {
          parameters: { type: JsonSchemaType.OBJECT },
          runId: { type: JsonSchemaType.STRING, pattern: "^[A-Za-z0-9_-]{1,80}$" },
          tag: { type: JsonSchemaType.STRING, maxLength: MAX_TAG_LENGTH },
        },
      },
    });
  }
}
