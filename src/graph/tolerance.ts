/** Failed iterations a Distributed Map tolerates (Step Functions' ToleratedFailureCount / ToleratedFailurePercentage). */
export interface Tolerance {
  percentage?: number;
  count?: number;
}

/**
 * How many failed iterations a Map survives: exceeding either the count or the percentage of all
 * items fails it (the percentage rounded down); 0 without a tolerance. One rule for local mode, the
 * emulator and the compiled state machine's settings.
 */
export function allowedFailures(t: Tolerance | undefined, total: number): number {
  if (!t || (t.percentage === undefined && t.count === undefined)) return 0;
  const byCount = t.count ?? Infinity;
  const byPercentage = t.percentage === undefined ? Infinity : Math.floor((t.percentage / 100) * total);
  return Math.min(byCount, byPercentage);
}
