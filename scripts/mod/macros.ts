// The module macros (MODULE_LICENSE, module_param, EXPORT_SYMBOL, ...): read from a module's source and removed.
//
// They are top-level statements, as in C, so a module reads the way a Linux module does. They run nothing:
// modpost turns them into .modinfo, __ksymtab and __param, and strips them before the program is compiled.

import { LiteralKind, NodeKind, SourceKind } from "assemblyscript";
import type {
  CallExpression, Expression, ExpressionStatement, IdentifierExpression, IntegerLiteralExpression, Parser,
  Source, StringLiteralExpression,
} from "assemblyscript";
import { isParamType, type ParamTypeName } from "../../abi/moduleparam.js";

export interface ParamDecl {
  readonly name: string;
  readonly type: ParamTypeName;
  readonly perm: number;
}

/** What a module declares about itself. */
export interface ModuleDecls {
  /** .modinfo keys in source order (license, author, description, version, alias, softdep, weakdep, parm). */
  readonly modinfo: [key: string, value: string][];
  readonly params: ParamDecl[];
  readonly exports: { name: string; gpl: boolean }[];
}

export class MacroError extends Error {}

type Arg = { kind: "string" | "ident" | "int"; text: string };

const STRING_MACROS: Record<string, string> = {
  MODULE_LICENSE: "license",
  MODULE_AUTHOR: "author",
  MODULE_DESCRIPTION: "description",
  MODULE_VERSION: "version",
  MODULE_ALIAS: "alias",
  MODULE_SOFTDEP: "softdep",
  MODULE_WEAKDEP: "weakdep",
  MODULE_FIRMWARE: "firmware",
};

function argOf(e: Expression): Arg | null {
  if (e.kind === NodeKind.Identifier) return { kind: "ident", text: (e as IdentifierExpression).text };
  if (e.kind !== NodeKind.Literal) return null;
  const lit = e as StringLiteralExpression | IntegerLiteralExpression;
  if (lit.literalKind === LiteralKind.String) return { kind: "string", text: (lit as StringLiteralExpression).value };
  if (lit.literalKind === LiteralKind.Integer) return { kind: "int", text: String((lit as IntegerLiteralExpression).value) };
  return null;
}

/** The macro call a top-level statement makes, if it is one. */
function macroCall(stmt: { kind: NodeKind }): { name: string; args: (Arg | null)[]; where: string } | null {
  if (stmt.kind !== NodeKind.Expression) return null;
  const call = (stmt as ExpressionStatement).expression;
  if (call.kind !== NodeKind.Call) return null;
  const callee = (call as CallExpression).expression;
  if (callee.kind !== NodeKind.Identifier) return null;
  const name = (callee as IdentifierExpression).text;
  if (!(name in STRING_MACROS) && !MACROS.has(name)) return null;
  const where = `${call.range.source.normalizedPath}:${call.range.source.lineAt(call.range.start)}`;
  return { name, args: (call as CallExpression).args.map(argOf), where };
}

const MACROS = new Set(["module_param", "MODULE_PARM_DESC", "EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL"]);

function expect(args: (Arg | null)[], kinds: Arg["kind"][], macro: string, where: string): Arg[] {
  const ok = args.length === kinds.length && args.every((a, i) => a !== null && a.kind === kinds[i]);
  if (!ok) throw new MacroError(`${where}: ${macro} takes (${kinds.join(", ")}) literals`);
  return args as Arg[];
}

function apply(decls: ModuleDecls, descs: Map<string, string>, m: NonNullable<ReturnType<typeof macroCall>>): void {
  const key = STRING_MACROS[m.name];
  if (key) {
    decls.modinfo.push([key, expect(m.args, ["string"], m.name, m.where)[0]!.text]);
  } else if (m.name === "module_param") {
    const [v, t, p] = expect(m.args, ["ident", "ident", "int"], m.name, m.where);
    if (!isParamType(t!.text)) throw new MacroError(`${m.where}: module_param: unknown type '${t!.text}'`);
    decls.params.push({ name: v!.text, type: t!.text, perm: Number(p!.text) });
  } else if (m.name === "MODULE_PARM_DESC") {
    const [v, d] = expect(m.args, ["ident", "string"], m.name, m.where);
    descs.set(v!.text, d!.text);
  } else {
    const [f] = expect(m.args, ["ident"], m.name, m.where);
    decls.exports.push({ name: f!.text, gpl: m.name === "EXPORT_SYMBOL_GPL" });
  }
}

/** Collect the macros of the module's own sources and remove them from the AST. */
export function collectMacros(parser: Parser): ModuleDecls {
  const decls: ModuleDecls = { modinfo: [], params: [], exports: [] };
  const descs = new Map<string, string>();
  const own = parser.sources.filter(
    (s: Source) => s.sourceKind === SourceKind.User || s.sourceKind === SourceKind.UserEntry,
  );
  for (const source of own) {
    source.statements = source.statements.filter((stmt) => {
      const m = macroCall(stmt);
      if (m) apply(decls, descs, m);
      return m === null;
    });
  }
  for (const [name, desc] of descs) {
    if (!decls.params.some((p) => p.name === name)) throw new MacroError(`MODULE_PARM_DESC(${name}): no module_param(${name}, ...)`);
    decls.modinfo.push(["parm", `${name}:${desc}`]);
  }
  for (const p of decls.params) decls.modinfo.push(["parmtype", `${p.name}:${p.type}`]);
  return decls;
}
