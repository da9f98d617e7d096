import type { RootGraph } from "../graph/types.js";
import type { StepError } from "../sdk/runlog.js";

/** What the executor reports while a run progresses (the CLI renders these on stderr). */
export interface ProgressEvent {
  /** "run-start" carries the graph; "map-items" a Map's iteration count once its list is known;
   *  "warning": something that would fail once deployed (local runs only; see `message`). */
  type: "run-start" | "step-start" | "step-end" | "map-items" | "run-end" | "warning";
  /** Step path (`fanout.2.score`); the run id for "run-start"/"run-end". */
  stepPath: string;
  /** Node kind: "function", "shell", "notebook", "stub", "parallel", "map", "conditional", "success", "fail". */
  kind?: string;
  /** For "step-end" and "run-end". */
  status?: "SUCCESS" | "FAIL";
  /** Attempt number of the recorded attempt ("step-end" of tasks). */
  attempt?: number;
  durationMs?: number;
  error?: StepError;
  /** true when the step had already succeeded (run retry) and was not run again. */
  skipped?: boolean;
  /** "run-start": the pipeline's graph (what progress counts against). */
  graph?: RootGraph;
  /** "map-items": the Map's number of iterations. */
  items?: number;
  /** For "warning": what would fail on AWS (and in the emulator), and why. */
  message?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;
