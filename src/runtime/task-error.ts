import type { StepError } from "../sdk/runlog.js";

/**
 * The error a Task state reports (`Error` and `Cause`, as Step Functions passes them on) as the
 * user's own: a Lambda's error envelope gives its errorType and errorMessage (not the envelope's
 * JSON and stack trace), a Batch job's description its status reason; any other cause is the message.
 */
export function taskError(name: string, cause: string): StepError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return { name, message: cause };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { name, message: cause };
  const envelope = parsed as Record<string, unknown>;
  if (typeof envelope.errorMessage === "string") {
    return { name: typeof envelope.errorType === "string" ? envelope.errorType : name, message: envelope.errorMessage };
  }
  const container = envelope.Container as Record<string, unknown> | undefined;
  const reason = [envelope.StatusReason, container?.Reason].filter((r) => typeof r === "string" && r !== "").join(": ");
  return reason ? { name, message: reason } : { name, message: cause };
}
