import type { AslDefinition, Json } from "../../src/compile/index.js";

/**
 * Every JSONPath a definition reads from a state's input or context (in `….$` fields, Choice
 * variables, ItemsPath, ErrorPath), and every literal field of a handler Payload.
 */
export function pathsRead(definition: AslDefinition): string[] {
  const out: string[] = [];
  const visit = (value: Json | undefined, key: string): void => {
    if (typeof value === "string" && (key.endsWith(".$") || ["Variable", "ItemsPath", "ErrorPath", "NumericGreaterThanPath"].includes(key))) {
      // `${Name}` placeholders (substituted at deploy time) are text, not paths.
      out.push(...(value.replace(/\$\{[A-Za-z0-9_]+\}/g, "").match(/\$\$?(\.[A-Za-z0-9_]+)*/g) ?? []));
    } else if (Array.isArray(value)) value.forEach((v) => visit(v, key));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) visit(v, k);
  };
  visit(definition as unknown as Json, "");
  return out;
}

/** The paths a compiled definition may read: the reference object, the small results, and the context. */
export const ALLOWED_PATHS = [
  /^\$\.runId$/, /^\$\.x$/, /^\$\.i\d+$/, /^\$\.(s|e|last)$/, /^\$\.r(\.(count|last|starts|itemsKey|branch|Error))?$/,
  /^\$\.Payload\.(count|last|itemsKey|branch)$/,
  /^\$\$\.Execution\.(Name|RedriveCount)$/, /^\$\$\.State\.RetryCount$/, /^\$\$\.Map\.Item\.Value$/,
];

/** Literal (non-path) keys a handler Payload may carry: the StepEvent's own fields. */
export const PAYLOAD_LITERAL_KEYS = new Set(["v", "action", "path", "indexes", "status", "error"]);
