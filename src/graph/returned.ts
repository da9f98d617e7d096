import type { AstNode } from "./ast.js";
import { functionAst } from "./source.js";

/**
 * How a function's result meets its declared `returns` — one rule for the static check (object
 * literals a function returns, found in its source) and for binding at run time (src/runtime/bind.ts).
 * - keys exactly the declared names: each name takes its property;
 * - one declared name `x`: an object `{ x }` gives its property, an object without `x` (or any
 *   other value) is bound whole, an object with `x` and other keys is ambiguous;
 * - nothing declared: an object with keys would lose them;
 * - otherwise some keys are undeclared and/or some declared names missing.
 */
export type ShapeVerdict =
  | { ok: true; whole: boolean }
  | { ok: false; kind: "undeclared" | "ambiguous" | "unexpected"; extra: string[]; missing: string[] };

export function judgeShape(declared: readonly string[], keys: readonly string[]): ShapeVerdict {
  const extra = keys.filter((k) => !declared.includes(k));
  const missing = declared.filter((n) => !keys.includes(n));
  if (extra.length === 0 && missing.length === 0) return { ok: true, whole: false };
  if (declared.length === 0) return keys.length === 0 ? { ok: true, whole: false } : { ok: false, kind: "unexpected", extra, missing };
  if (declared.length === 1) return missing.length === 1 ? { ok: true, whole: true } : { ok: false, kind: "ambiguous", extra, missing };
  return { ok: false, kind: "undeclared", extra, missing };
}

/**
 * The key sets of the object literals a function returns (`return { a, b }`, `=> ({ a })`, either
 * side of `c ? {…} : {…}`), skipping returns of other expressions and literals with spreads or
 * computed keys. Empty when nothing can be told (no source, a generator).
 */
export function returnedShapes(fn: (...args: never[]) => unknown): string[][] {
  let shapes = shapesCache.get(fn);
  if (!shapes) shapesCache.set(fn, (shapes = findShapes(fn)));
  return shapes;
}

const shapesCache = new WeakMap<object, string[][]>();

function findShapes(fn: (...args: never[]) => unknown): string[][] {
  const ast = functionAst(fn);
  if (!ast || ast.generator === true) return [];
  const exprs: AstNode[] = [];
  if (ast.expression === true) exprs.push(ast.body as AstNode);
  else collectReturns(ast.body as AstNode, exprs);
  const shapes: string[][] = [];
  for (const e of exprs) literalShapes(e, shapes);
  return shapes;
}

const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "ClassDeclaration", "ClassExpression"]);

function collectReturns(node: AstNode, out: AstNode[]): void {
  if (node.type === "ReturnStatement") {
    if (node.argument) out.push(node.argument as AstNode);
    return;
  }
  for (const key in node) {
    if (key === "type" || key === "loc") continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (isWalkable(child)) collectReturns(child, out);
    } else if (isWalkable(value)) collectReturns(value, out);
  }
}

function isWalkable(v: unknown): v is AstNode {
  return typeof v === "object" && v !== null && typeof (v as AstNode).type === "string" && !FUNCTIONS.has((v as AstNode).type);
}

function literalShapes(e: AstNode, out: string[][]): void {
  if (e.type === "ConditionalExpression") {
    literalShapes(e.consequent as AstNode, out);
    literalShapes(e.alternate as AstNode, out);
    return;
  }
  if (e.type !== "ObjectExpression") return;
  const keys: string[] = [];
  for (const p of e.properties as AstNode[]) {
    if (p.type !== "Property") return; // a spread: keys unknown
    const key = p.key as AstNode;
    if (!p.computed && key.type === "Identifier") keys.push(key.name as string);
    else if (key.type === "Literal" && (typeof key.value === "string" || typeof key.value === "number")) keys.push(String(key.value));
    else return;
  }
  out.push([...new Set(keys)]);
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/** What to say about a failed verdict, after "… returned <what>": the keys at fault and the fix. */
export function shapeAdvice(verdict: Extract<ShapeVerdict, { ok: false }>, declared: readonly string[], keys: readonly string[]): string {
  const list = `[${keys.map((k) => JSON.stringify(k)).join(", ")}]`;
  switch (verdict.kind) {
    case "unexpected":
      return `, but declares no returns: declare returns: ${list} to keep them, or return nothing`;
    case "ambiguous":
      return `, which is ambiguous for the single return "${declared[0]}" (that property, or the whole object?):`
        + ` declare returns ${list} to keep each key, or return { ${declared[0]}: … } holding exactly what "${declared[0]}" should be`;
    case "undeclared": {
      const parts = [...(verdict.extra.length ? [`undeclared ${quoted(verdict.extra)}`] : []), ...(verdict.missing.length ? [`missing ${quoted(verdict.missing)}`] : [])];
      return ` for returns ${quoted(declared)} (${parts.join("; ")}): `
        + (verdict.extra.length ? "declare every key it returns in returns" : "return an object with a property for each declared name");
    }
  }
}
