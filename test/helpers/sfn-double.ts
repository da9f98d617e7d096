import { type JsonDouble, startJsonDouble } from "./aws-json-double.js";

// A local stand-in for the Step Functions API, speaking its wire protocol (JSON 1.0) to the real SDK
// client: DescribeExecution answers from `executions` (by ARN), StartExecution and RedriveExecution
// succeed unless told otherwise. Every request is recorded — the SDK boundary of
// `POST /runs/{runId}/retry`.

export interface ExecutionState {
  status: string;
  cause?: string;
  error?: string;
  redriveStatus?: "REDRIVABLE" | "NOT_REDRIVABLE";
  redriveCount?: number;
  /** Epoch seconds, as the API sends timestamps. */
  stopDate?: number;
}

export interface SfnDouble extends JsonDouble {
  executions: Map<string, ExecutionState>;
  /** Execution ARNs whose RedriveExecution answers ExecutionNotRedrivable. */
  refuseRedrive: Set<string>;
  /** Execution names StartExecution answers ExecutionAlreadyExists for. */
  takenNames: Set<string>;
}

export async function startSfnDouble(): Promise<SfnDouble> {
  const executions = new Map<string, ExecutionState>();
  const refuseRedrive = new Set<string>();
  const takenNames = new Set<string>();
  const double = await startJsonDouble("1.0", ({ target, body }) => {
    const arn = String(body.executionArn ?? "");
    if (target === "AWSStepFunctions.DescribeExecution") {
      const e = executions.get(arn);
      if (!e) return [400, { __type: "ExecutionDoesNotExist", message: `Execution Does Not Exist: '${arn}'` }];
      return [200, { executionArn: arn, stateMachineArn: arn.replace(":execution:", ":stateMachine:").replace(/:[^:]+$/, ""), name: arn.split(":").at(-1), startDate: 1, ...e }];
    }
    if (target === "AWSStepFunctions.RedriveExecution") {
      if (refuseRedrive.has(arn)) return [400, { __type: "ExecutionNotRedrivable", message: "Execution is SUCCEEDED and cannot be redriven" }];
      return [200, { redriveDate: 2 }];
    }
    if (target === "AWSStepFunctions.StartExecution") {
      const name = String(body.name);
      if (takenNames.has(name)) return [400, { __type: "ExecutionAlreadyExists", message: `Execution Already Exists: '${name}'` }];
      return [200, { executionArn: `${String(body.stateMachineArn).replace(":stateMachine:", ":execution:")}:${name}`, startDate: 3 }];
    }
    return [400, { __type: "UnknownOperationException", message: target }];
  });
  return Object.assign(double, { executions, refuseRedrive, takenNames });
}
