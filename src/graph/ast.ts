/**
 * Just enough scope analysis over an ESTree (acorn) function to find where a name is used:
 * references are Identifiers in expression position, and a nested function, block, loop or catch
 * clause that binds the same name hides it.
 */

/** An ESTree node, loosely typed: the reads analysis only looks at a few fields per node type. */
export interface AstNode {
  type: string;
  [field: string]: unknown;
}

/** An Identifier that refers to a name, with the nodes enclosing it (outermost first). */
export interface Reference {
  node: AstNode;
  ancestors: AstNode[];
}

export function parentOf(ref: Reference): AstNode | undefined {
  return ref.ancestors[ref.ancestors.length - 1];
}

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);
const NOT_CHILDREN = new Set(["type", "start", "end", "loc", "range"]);

function isNode(v: unknown): v is AstNode {
  return typeof v === "object" && v !== null && typeof (v as AstNode).type === "string";
}

/** The names a binding pattern introduces (`{ a, b: [c], ...d }` → a, c, d). */
export function bindingNames(pattern: AstNode | null | undefined, out: string[] = []): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case "Identifier":
      out.push(pattern.name as string);
      break;
    case "ObjectPattern":
      for (const p of pattern.properties as AstNode[]) bindingNames(p.type === "RestElement" ? (p.argument as AstNode) : (p.value as AstNode), out);
      break;
    case "ArrayPattern":
      for (const e of pattern.elements as (AstNode | null)[]) bindingNames(e, out);
      break;
    case "AssignmentPattern":
      bindingNames(pattern.left as AstNode, out);
      break;
    case "RestElement":
      bindingNames(pattern.argument as AstNode, out);
      break;
  }
  return out;
}

function declarationNames(decl: AstNode, lexicalOnly: boolean): string[] {
  if (decl.type === "VariableDeclaration") {
    if (lexicalOnly && decl.kind === "var") return [];
    return (decl.declarations as AstNode[]).flatMap((d) => bindingNames(d.id as AstNode));
  }
  if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && isNode(decl.id)) return [decl.id.name as string];
  return [];
}

/** `var` declarations anywhere in a function body, not inside nested functions. */
function declaresVar(node: AstNode, name: string): boolean {
  if (node.type === "VariableDeclaration" && node.kind === "var") {
    return (node.declarations as AstNode[]).some((d) => bindingNames(d.id as AstNode).includes(name));
  }
  for (const key in node) {
    if (NOT_CHILDREN.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (isNode(child) && !FUNCTION_TYPES.has(child.type) && declaresVar(child, name)) return true;
    } else if (isNode(value) && !FUNCTION_TYPES.has(value.type) && declaresVar(value, name)) return true;
  }
  return false;
}

function declaresLexically(statements: AstNode[], name: string): boolean {
  return statements.some((s) => declarationNames(s, true).includes(name));
}

/** The innermost node of `ancestors` that is a scope for declarations (a block, a loop, a switch), else `fallback`. */
export function declaringScope(ancestors: readonly AstNode[], fallback: AstNode): AstNode {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const t = ancestors[i]!.type;
    if (t === "BlockStatement" || t === "StaticBlock" || t === "SwitchStatement" || t === "ForStatement" || t === "ForInStatement" || t === "ForOfStatement") return ancestors[i]!;
  }
  return fallback;
}

/** Does this node open a scope in which `name` means something else? */
function shadows(node: AstNode, name: string): boolean {
  if (FUNCTION_TYPES.has(node.type)) {
    if (name === "arguments" && node.type !== "ArrowFunctionExpression") return true;
    if (node.type === "FunctionExpression" && isNode(node.id) && node.id.name === name) return true;
    if ((node.params as AstNode[]).some((p) => bindingNames(p).includes(name))) return true;
    const body = node.body as AstNode;
    return body.type === "BlockStatement" && (declaresLexically(body.body as AstNode[], name) || declaresVar(body, name));
  }
  switch (node.type) {
    case "BlockStatement": case "StaticBlock":
      return declaresLexically(node.body as AstNode[], name);
    case "SwitchStatement":
      return declaresLexically((node.cases as AstNode[]).flatMap((c) => c.consequent as AstNode[]), name);
    case "ForStatement":
      return isNode(node.init) && declarationNames(node.init, true).includes(name);
    case "ForInStatement": case "ForOfStatement":
      return declarationNames(node.left as AstNode, true).includes(name);
    case "CatchClause":
      return bindingNames(node.param as AstNode | null).includes(name);
    case "ClassExpression":
      return isNode(node.id) && node.id.name === name;
    default:
      return false;
  }
}

/** Whether an Identifier found under `parent.field` is a reference (not a property key, label, …). */
function isReferencePosition(parent: AstNode | undefined, field: string): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case "MemberExpression": return field !== "property" || parent.computed === true;
    case "Property": case "MethodDefinition": case "PropertyDefinition": return field !== "key" || parent.computed === true;
    case "LabeledStatement": case "BreakStatement": case "ContinueStatement": return field !== "label";
    case "MetaProperty": return false;
    default: return true;
  }
}

/**
 * Every reference to `name` within `scope` — a function's body, or the block that declares the
 * name — skipping nested scopes that bind the same name again. `ancestors` are the nodes from
 * `scope` (inclusive) down to the reference's parent.
 */
export function findReferences(scope: AstNode, name: string): Reference[] {
  const out: Reference[] = [];
  const stack: AstNode[] = [];
  const visit = (node: AstNode, field: string): void => {
    if (node.type === "Identifier") {
      if (node.name === name && isReferencePosition(stack[stack.length - 1], field)) out.push({ node, ancestors: stack.slice() });
      return;
    }
    if (node !== scope && shadows(node, name)) return;
    stack.push(node);
    for (const key in node) {
      if (NOT_CHILDREN.has(key)) continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (const child of value) if (isNode(child)) visit(child, key);
      } else if (isNode(value)) visit(value, key);
    }
    stack.pop();
  };
  visit(scope, "body");
  return out;
}

function isNullish(n: AstNode): boolean {
  return (n.type === "Identifier" && n.name === "undefined") || (n.type === "Literal" && n.value === null && n.raw === "null")
    || (n.type === "UnaryExpression" && n.operator === "void");
}

/**
 * Whether a reference is tested for presence rather than used as a value: `if (x)`, `!x`, `x ?? d`,
 * `x || d`, `x && …`, `typeof x`, `x === undefined`, `x ??= d`, `x?.y`. A function doing that copes
 * with the name being absent.
 */
export function isPresenceTest(ref: Reference): boolean {
  let node = ref.node;
  let i = ref.ancestors.length - 1;
  let parent = ref.ancestors[i];
  while (parent?.type === "ChainExpression") {
    node = parent;
    parent = ref.ancestors[--i];
  }
  if (!parent) return false;
  switch (parent.type) {
    case "UnaryExpression":
      return parent.operator === "typeof" || parent.operator === "!";
    case "IfStatement": case "WhileStatement": case "DoWhileStatement": case "ForStatement": case "ConditionalExpression":
      return parent.test === node;
    case "LogicalExpression":
      return parent.left === node;
    case "BinaryExpression": {
      if (!["===", "!==", "==", "!="].includes(parent.operator as string)) return false;
      return isNullish((parent.left === node ? parent.right : parent.left) as AstNode);
    }
    case "AssignmentExpression":
      return parent.left === node && ["??=", "||=", "&&="].includes(parent.operator as string);
    case "MemberExpression":
      return parent.object === node && parent.optional === true;
    case "CallExpression":
      return parent.callee === node && parent.optional === true;
    default:
      return false;
  }
}
