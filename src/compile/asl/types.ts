/**
 * Typed Amazon States Language (JSONPath query language), limited to what the compiler emits.
 * Field names are ASL's own; optional fields are left out of the JSON when unset.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A payload template: keys ending in ".$" hold a path or an intrinsic function. */
export type PayloadTemplate = { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** Either `Next` or `End: true`. */
export type Transition = { Next: string; End?: never } | { End: true; Next?: never };

interface Common {
  Comment?: string;
}

interface IoFields {
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
}

export type TaskState = Common & IoFields & Transition & {
  Type: "Task";
  Resource: string;
  Parameters?: PayloadTemplate;
  ResultSelector?: PayloadTemplate;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
};

export type PassState = Common & IoFields & Transition & {
  Type: "Pass";
  Parameters?: PayloadTemplate;
  Result?: Json;
};

/** A Choice rule of the subset we emit (one comparison per rule). */
export interface ChoiceRule {
  Variable: string;
  StringEquals?: string;
  NumericEquals?: number;
  NumericGreaterThan?: number;
  NumericGreaterThanPath?: string;
  Next: string;
}

export interface ChoiceState extends Common {
  Type: "Choice";
  Choices: ChoiceRule[];
  Default?: string;
}

export interface ItemReader {
  Resource: string;
  ReaderConfig: { InputType: "JSON" };
  Parameters: PayloadTemplate;
}

export interface ResultWriter {
  Resource: string;
  Parameters: PayloadTemplate;
}

export interface ItemProcessor extends StateMachineBody {
  ProcessorConfig?: { Mode: "INLINE" } | { Mode: "DISTRIBUTED"; ExecutionType: "STANDARD" | "EXPRESS" };
}

export type MapState = Common & IoFields & Transition & {
  Type: "Map";
  ItemsPath?: string;
  ItemReader?: ItemReader;
  ItemSelector?: PayloadTemplate;
  ItemProcessor: ItemProcessor;
  ResultWriter?: ResultWriter;
  MaxConcurrency?: number;
  /** Distributed Map: the Map Run's label (child execution ARNs are `…:execution:<machine>/<Label>:<id>`). */
  Label?: string;
  ToleratedFailurePercentage?: number;
  ToleratedFailureCount?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
};

export type ParallelState = Common & IoFields & Transition & {
  Type: "Parallel";
  Branches: StateMachineBody[];
  Retry?: Retrier[];
  Catch?: Catcher[];
};

export interface FailState extends Common {
  Type: "Fail";
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
}

export interface SucceedState extends Common {
  Type: "Succeed";
}

export type State = TaskState | PassState | ChoiceState | MapState | ParallelState | FailState | SucceedState;

export interface StateMachineBody {
  StartAt: string;
  States: Record<string, State>;
}

/** A whole state machine definition. */
export interface AslDefinition extends StateMachineBody {
  Comment?: string;
  TimeoutSeconds?: number;
}
