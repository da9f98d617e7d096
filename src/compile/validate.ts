import { createRequire } from "node:module";
import type validatorFn from "asl-validator";
import type { AslDefinition } from "./asl/types.js";

// asl-validator is CommonJS; loaded on first use so importing the package does not pay for it.
let validator: typeof validatorFn | undefined;

export interface AslValidation {
  isValid: boolean;
  /** One line per problem: "<error code>: <message>". */
  errors: string[];
}

/** Validates a definition with asl-validator (JSON schema, paths, ARNs, transitions); never mutates it. */
export function validateAsl(definition: AslDefinition): AslValidation {
  validator ??= createRequire(import.meta.url)("asl-validator") as typeof validatorFn;
  const { isValid, errors } = validator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return { isValid, errors: errors.map((e) => `${e["Error code"]}: ${e.Message}${e.path ? ` (at ${e.path})` : ""}`) };
}
