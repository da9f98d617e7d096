import { createHash } from "node:crypto";
import type { MapNodeGraph } from "../../graph/types.js";
import { ERRORS } from "../../core/protocol.js";
import { mapTooLargeMessage } from "../guard.js";
import { addState, type CompileContext, type NodeExits, type Scope } from "./context.js";
import { compositeFailureRoute } from "./failure.js";
import type { StateRole } from "./names.js";
import { branchBody } from "./parallel.js";
import { ERROR_SLOT, PLACEHOLDERS, addHandlerTask, catchTo, placeholder, refFields, stepEvent } from "./render.js";
import type { ChoiceRule, MapState, PayloadTemplate } from "./types.js";

/**
 * Iterations per chunk of an inline Map. The list itself stays in the store: the Map iterates over
 * indexes made by `States.ArrayRange`, which Step Functions caps at 1,000 items — and an index
 * array in the state input grows with the list. So indexes come in chunks: an outer Map (one chunk
 * at a time) over chunk starts `[0, 100, 200, …]`, an inner Map over `[s … min(s+99, last)]`.
 * State inputs stay under ~600 bytes up to 100,000 items (1,000 chunks would be ~5 KB).
 */
export const MAP_CHUNK = 100;
/** `States.ArrayRange` limit on AWS × chunk size: the largest inline Map the indexes can describe. */
export const MAX_INLINE_ITEMS = 1000 * MAP_CHUNK;

/**
 * Map →
 *   `<map>@start` (mapStart: the handler resolves the list, returns `count`; distributed: also
 *   `itemsKey`, the store key of the JSON index list it wrote) → `<map>@empty` (count 0 skips to
 *   the end: zero iterations, still a success) → the iterations → `<map>@end` (nodeEnd SUCCESS:
 *   the handler collects the returns and applies the reducer).
 * Inline, in a Standard workflow, `<map>@empty` also guards the history quota: more items than the
 *   Map's bound (guard.ts) go to `<map>@too-large`, which records the Map's failure with a clear
 *   cause (runnable.MapTooLarge) before any iteration runs, then takes the Map's failure route.
 * Inline: `<map>@chunks` (Pass: chunk starts) → `<map>` (outer Map, one chunk at a time) →
 *   `<map>@chunk` (Choice: last chunk?) → `<map>@range`/`<map>@tail` (Pass: the chunk's indexes) →
 *   `<map>@each` (inner Map, MaxConcurrency) → the branch.
 * Distributed: `<map>` is a Distributed Map whose ItemReader reads the index list from S3.
 * Each iteration's state input is `{ runId, i0 … i<depth> }` with its index from `$$.Map.Item.Value`.
 */
export function compileMap(ctx: CompileContext, node: MapNodeGraph, scope: Scope, exits: NodeExits): void {
  const route = compositeFailureRoute(ctx, node, scope, exits);
  const n = (suffix: string) => ctx.namer.name(node.path, suffix);
  const info = (role: StateRole) => ({ stepPath: node.path, role });
  const mapName = ctx.namer.name(node.path);
  const end = n("@end");
  addHandlerTask(ctx, scope, ctx.first(node), info("map-start"), stepEvent("mapStart", node.path, scope), {
    transition: { Next: n("@empty") }, catchTo: route.target, keep: node.distributed ? ["count", "itemsKey"] : ["count", "last"],
  });
  const bound = node.distributed ? undefined : ctx.mapGuards?.[node.path];
  const guard: ChoiceRule[] = bound === undefined ? [] : [{ Variable: "$.r.count", NumericGreaterThan: bound, Next: n("@too-large") }];
  addState(ctx, scope, n("@empty"), info("map-empty"), {
    Type: "Choice",
    Choices: [{ Variable: "$.r.count", NumericEquals: 0, Next: end }, ...guard],
    Default: node.distributed ? mapName : n("@chunks"),
  });
  if (bound !== undefined) addTooLarge(ctx, node, scope, n("@too-large"), bound, route.after);
  if (node.distributed) {
    addState(ctx, scope, mapName, info("map"), distributedMap(ctx, node, scope, route.target, end));
  } else {
    addState(ctx, scope, n("@chunks"), info("map-chunks"), {
      Type: "Pass",
      Parameters: {
        // The handler returns the last index: intrinsic arguments stay paths and literals (no nesting).
        "starts.$": `States.ArrayRange(0, $.r.last, ${MAP_CHUNK})`,
        "last.$": "$.r.last",
      },
      ResultPath: ERROR_SLOT,
      Next: mapName,
    });
    addState(ctx, scope, mapName, info("map"), inlineMap(ctx, node, scope, route.target, end));
  }
  addHandlerTask(ctx, scope, end, info("node-end"), stepEvent("nodeEnd", node.path, scope, { status: "SUCCESS" }), {
    transition: exits.next, catchTo: route.target,
  });
  route.emit();
}

/** Records the Map's failure (nodeEnd FAIL, runnable.MapTooLarge, the item count in the cause), then goes where its failures go. */
function addTooLarge(ctx: CompileContext, node: MapNodeGraph, scope: Scope, name: string, bound: number, after: string): void {
  // States.Format fills `{}` with the count; the text around it is escaped as intrinsic strings require.
  const [head, tail] = mapTooLargeMessage(node.path, "\u0000", bound).split("\u0000").map((t) => t.replace(/[\\'{}]/g, (c) => `\\${c}`));
  const template = `${head}{}${tail}`;
  addHandlerTask(ctx, scope, name, { stepPath: node.path, role: "map-too-large" },
    stepEvent("nodeEnd", node.path, scope, {
      status: "FAIL", error: { Error: ERRORS.mapTooLarge, "Cause.$": `States.Format('${template}', $.r.count)` },
    }), {
      transition: { Next: after },
      catchTo: scope.failTo,
      constantResult: { Error: ERRORS.mapTooLarge, Cause: mapTooLargeMessage(node.path, `more than ${bound}`, bound) },
    });
}

function inlineMap(ctx: CompileContext, node: MapNodeGraph, scope: Scope, failed: string | null, end: string): MapState {
  const n = (suffix: string) => ctx.namer.name(node.path, suffix);
  const info = (role: StateRole) => ({ stepPath: node.path, role });
  const chunk = branchBody(ctx, (c) => {
    addState(ctx, c, n("@chunk"), info("map-chunk"), {
      Type: "Choice",
      Choices: [{ Variable: "$.e", NumericGreaterThanPath: "$.last", Next: n("@tail") }],
      Default: n("@range"),
    });
    for (const [suffix, last] of [["@range", "$.e"], ["@tail", "$.last"]] as const) {
      addState(ctx, c, n(suffix), info("map-range"), {
        Type: "Pass", Parameters: { ...refFields(scope), "r.$": `States.ArrayRange($.s, ${last}, 1)` }, Next: n("@each"),
      });
    }
    addState(ctx, c, n("@each"), info("map-each"), {
      Type: "Map",
      ItemsPath: "$.r",
      ItemSelector: itemSelector(scope, "$$.Map.Item.Value"),
      ItemProcessor: branchBody(ctx, (b) => ctx.pipeline(node.branch, b, { End: true }), scope, scope.depth + 1),
      MaxConcurrency: node.maxConcurrency,
      // The chunk's result is a list of iteration outputs: drop it, and keep the chunk's own output tiny.
      ResultPath: null,
      OutputPath: "$.runId",
      End: true,
    });
    return n("@chunk");
  }, scope);
  return {
    Type: "Map",
    ItemsPath: "$.r.starts",
    ItemSelector: {
      ...refFields(scope),
      "s.$": "$$.Map.Item.Value",
      "e.$": `States.MathAdd($$.Map.Item.Value, ${MAP_CHUNK - 1})`,
      "last.$": "$.r.last",
    },
    ItemProcessor: chunk,
    MaxConcurrency: 1,
    ResultPath: null,
    ...catchTo(failed),
    Next: end,
  };
}

/** Item input `{ runId, x?, i0 … i<depth> }` with the new index taken from `value`. */
function itemSelector(scope: Scope, value: string, execution?: string): PayloadTemplate {
  return {
    ...refFields(scope),
    ...(execution ? { "x.$": execution } : {}),
    [`i${scope.depth}.$`]: value,
  };
}

/**
 * The Map Run label of a Distributed Map (at most 40 characters, no punctuation beyond "_" and "-"):
 * its child executions are `…:execution:<machine>/<label>:<id>`, which is what the state machine's
 * role may redrive. The state name when it fits, else a readable head and a stable hash.
 */
export function mapRunLabel(stateName: string): string {
  if (/^[A-Za-z0-9_-]{1,40}$/.test(stateName)) return stateName;
  const hash = createHash("sha256").update(stateName).digest("hex").slice(0, 10);
  return `${stateName.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 29)}_${hash}`;
}

function distributedMap(ctx: CompileContext, node: MapNodeGraph, scope: Scope, failed: string | null, end: string): MapState {
  const bucket = placeholder(ctx, PLACEHOLDERS.bucketName);
  // Child executions have their own names: carry the parent's as `x` so attempt keys stay per run execution.
  const parentExecution = scope.execution === "$.x" ? undefined : scope.execution;
  return {
    Type: "Map",
    ItemReader: {
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { Bucket: bucket, "Key.$": "$.r.itemsKey" },
    },
    ItemSelector: itemSelector(scope, "$$.Map.Item.Value", parentExecution),
    ItemProcessor: {
      ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
      ...branchBody(ctx, (b) => ctx.pipeline(node.branch, b, { End: true }), scope, scope.depth + 1, "$.x"),
    },
    MaxConcurrency: node.maxConcurrency,
    Label: mapRunLabel(ctx.namer.name(node.path)),
    ...(node.toleratedFailurePercentage !== undefined ? { ToleratedFailurePercentage: node.toleratedFailurePercentage } : {}),
    ...(node.toleratedFailureCount !== undefined ? { ToleratedFailureCount: node.toleratedFailureCount } : {}),
    // Without a ResultWriter a Distributed Map returns every child's output and can exceed 256 KiB.
    ResultWriter: {
      Resource: "arn:aws:states:::s3:putObject",
      // Under the pipeline's key scope, where its roles may write (per-pipeline IAM).
      Parameters: { Bucket: bucket, "Prefix.$": `States.Format('${placeholder(ctx, PLACEHOLDERS.keyPrefix)}catalog/{}/.internal/map-results', $.runId)` },
    },
    ResultPath: null,
    ...catchTo(failed),
    Next: end,
  };
}
