// KUnit's macros, as C's preprocessor hands them to include/kunit/test.h: each KUNIT_EXPECT_* and KUNIT_ASSERT_*
// check learns where it stands and how its operands read in the source (__FILE__:__LINE__, #left, #right), and
// KUNIT_CASE(fn) learns its case's name (#fn).
//
// abi/include/kunit.ts's checks read those from __kunit_at(test, "file:line", "left", "right"), which this pass
// wraps around each check's first argument; KUNIT_CASE(fn) gets "fn" as a second argument. Nothing else changes.

import { NodeKind, SourceKind, Node } from "assemblyscript";
import type { CallExpression, Expression, IdentifierExpression, Parser, PropertyAccessExpression, Source } from "assemblyscript";
import { KUNIT_CHECK_TEXTS, KUNIT_CHECKS } from "../../abi/kunit.js";

const CHECK = /^KUNIT_(?:EXPECT|ASSERT)_([A-Z_]+?)(?:_MSG)?$/;

/** How many operand texts a macro's call reports (KUNIT_FAIL: none); undefined when it is not a check. */
function operandTexts(name: string): number | undefined {
  if (name === "KUNIT_FAIL") return 0;
  const check = CHECK.exec(name)?.[1];
  return check !== undefined && Object.hasOwn(KUNIT_CHECKS, check) ? KUNIT_CHECK_TEXTS[KUNIT_CHECKS[check as keyof typeof KUNIT_CHECKS][0]] : undefined;
}

/** The macro a call names: `KUNIT_X(...)`, or `K.KUNIT_X(...)` through a namespace import. */
function calleeName(call: CallExpression): string | null {
  const callee = call.expression;
  if (callee.kind === NodeKind.Identifier) return (callee as IdentifierExpression).text;
  return callee.kind === NodeKind.PropertyAccess ? (callee as PropertyAccessExpression).property.text : null;
}

/** #x: an argument's source text, blanks collapsed as the preprocessor's stringification collapses them. */
function stringify(e: Expression): string {
  return e.range.toString().replace(/\s+/g, " ").trim();
}

function rewrite(call: CallExpression): void {
  const name = calleeName(call);
  if (name === null) return;
  const range = call.range;
  const str = (s: string) => Node.createStringLiteralExpression(s, range);
  if (name === "KUNIT_CASE" && call.args.length === 1 && call.args[0]!.kind === NodeKind.Identifier) {
    call.args.push(str((call.args[0] as IdentifierExpression).text));
    return;
  }
  const texts = operandTexts(name);
  if (texts === undefined || call.args.length < 1 + texts) return;
  const loc = `${range.source.normalizedPath}:${range.source.lineAt(range.start)}`;
  const operands = call.args.slice(1, 1 + texts).map((a) => str(stringify(a)));
  const at = Node.createIdentifierExpression("__kunit_at", range);
  call.args[0] = Node.createCallExpression(at, null, [call.args[0]!, str(loc), ...operands], range);
}

/** Every node below `node`, depth first (the AST is walked through its fields; ranges point back to sources). */
function walk(node: unknown, visit: (n: Node) => void, seen: Set<unknown>): void {
  if (node === null || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit, seen);
    return;
  }
  if (!(node instanceof Node)) return;
  visit(node);
  for (const [key, value] of Object.entries(node)) if (key !== "range") walk(value, visit, seen);
}

/** Give every KUnit check and KUNIT_CASE in the module's own sources what the preprocessor would. */
export function expandKunitMacros(parser: Parser): void {
  const own = parser.sources.filter((s: Source) => s.sourceKind === SourceKind.User || s.sourceKind === SourceKind.UserEntry);
  const seen = new Set<unknown>();
  for (const source of own) walk(source.statements, (n) => n.kind === NodeKind.Call && rewrite(n as CallExpression), seen);
}
