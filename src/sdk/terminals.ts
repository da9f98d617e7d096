import { checkName, fail } from "./check.js";
import { Node } from "./node.js";

/** Options of Success and Fail. */
export interface TerminalOptions {
  /** Step name, unique within its pipeline. */
  name: string;
}

/** Ends its pipeline successfully. Optional: a pipeline that runs to its end succeeds anyway. */
export class Success extends Node {
  readonly kind = "success" as const;
  constructor(options: TerminalOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Success needs an options object");
    super(checkName(options.name, "Success"), undefined);
  }
}

/** Ends its pipeline (and so the run, or the onFailure recovery) with status FAIL. */
export class Fail extends Node {
  readonly kind = "fail" as const;
  constructor(options: TerminalOptions) {
    if (typeof options !== "object" || options === null) fail("", "invalid-options", "Fail needs an options object");
    super(checkName(options.name, "Fail"), undefined);
  }
}
