// Generate from abi/: abi/include/kernel.ts, the AssemblyScript declarations of the kernel ABI;
// abi/include/module.d.ts, the module macros declared for tsc and editors; and abi/include/kunit_macros.ts,
// KUnit's KUNIT_EXPECT_* / KUNIT_ASSERT_* checks and printk-like calls.
//
// `node dist/scripts/genheaders.js` writes them; `--check` exits 1 if a committed one is stale.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ERESTARTSYS, ERRNO, type ErrnoName } from "../abi/errno.js";
import { GFP } from "../abi/gfp.js";
import * as ATTR from "../abi/attr.js";
import * as BINFMTS from "../abi/binfmts.js";
import * as FCNTL from "../abi/fcntl.js";
import * as IRQ from "../abi/irq.js";
import * as NETDEVICE from "../abi/netdevice.js";
import * as KUNIT from "../abi/kunit.js";
import * as MAGIC from "../abi/magic.js";
import { KUNIT_CHECKS, type KunitCheckFamily } from "../abi/kunit.js";
import * as POISON from "../abi/poison.js";
import * as POLL from "../abi/poll.js";
import { KERN_SOH, LOGLEVELS, LOGLEVEL_DEFAULT } from "../abi/kern_levels.js";
import { KERNEL_SYMBOLS, STRUCTS, type SymbolDef } from "../abi/kernel.js";
import { KERNEL_NAMESPACE, MODINFO_MACROS, SYMBOL_MACROS } from "../abi/module.js";
import { PARAM_TYPES } from "../abi/moduleparam.js";
import * as STAT from "../abi/stat.js";
import * as SPINLOCK from "../abi/spinlock.js";
import { SYSCALLS } from "../abi/syscalls.js";
import { isStructType, structName, type AbiType, type StructDef } from "../abi/types.js";
import { ROOT } from "./paths.js";

export const HEADER_PATH = join(ROOT, "abi", "include", "kernel.ts");
export const MACROS_PATH = join(ROOT, "abi", "include", "module.d.ts");
export const KUNIT_MACROS_PATH = join(ROOT, "abi", "include", "kunit_macros.ts");

/** The AssemblyScript spelling of an ABI type. */
function asType(t: AbiType): string {
  return isStructType(t) ? structName(t) : t;
}

/** A field's value in a freshly made struct: NULL, zero, false or "". */
function zeroValue(t: AbiType): string {
  if (isStructType(t)) return `changetype<${structName(t)}>(0)`;
  return t === "string" ? '""' : t === "bool" ? "false" : "0";
}

function structDecl(name: string, def: StructDef): string {
  const fields = def.map(([f, t]) => `  ${f}: ${asType(t)} = ${zeroValue(t)};`).join("\n");
  return `// @ts-ignore: decorator\n@unmanaged export class ${name} {\n${fields}\n}\n`;
}

/** A symbol as the header declares it: `export declare function kfree(ptr: usize): void;`. */
export function declaration(name: string, def: SymbolDef): string {
  if (def.kind === "global") return `export declare const ${def.sourceName ?? name}: ${asType(def.type)};`;
  const params = def.params.map(([p, t]) => `${p}: ${asType(t)}`).join(", ");
  return `export declare function ${name}(${params}): ${asType(def.ret)};`;
}

function symbolDecl(name: string, def: SymbolDef): string {
  const head = `/** ${def.doc}${def.gpl ? " (GPL-only)" : ""} */\n// @ts-ignore: decorator\n@external("${KERNEL_NAMESPACE}", "${name}")\n`;
  return `${head}${declaration(name, def)}\n`;
}

/** printk(fmt, ...) and pr_<level>(fmt, ...): up to six arguments of any 32-bit type or a string. */
function printkWrappers(): string {
  const slots = ["a", "b", "c", "d", "e", "f"];
  const typeParams = slots.map((s) => `${s.toUpperCase()} = u32`).join(", ");
  const params = slots.map((s) => `${s}: ${s.toUpperCase()} = changetype<${s.toUpperCase()}>(0)`).join(", ");
  const args = slots.map((s) => `__printk_arg<${s.toUpperCase()}>(${s})`).join(", ");
  const wrapper = (fn: string, level: string) =>
    `export function ${fn}<${typeParams}>(fmt: string, ${params}): i32 {\n  return _printk(${level}, fmt, ${args});\n}\n`;
  const levels = Object.entries(LOGLEVELS).map(([k, v]) => [k.slice("KERN_".length).toLowerCase(), v] as const);
  return [
    "/** A printk argument as its 32-bit slot: strings and other references by address (abi/include/kunit.ts's messages too). */",
    "// @ts-ignore: decorator",
    "@inline export function __printk_arg<T>(v: T): u32 {",
    "  if (isReference<T>()) return <u32>changetype<usize>(v);",
    "  if (sizeof<T>() > 4) ERROR(\"printk: arguments are at most 32 bits wide\");",
    "  return <u32>v;",
    "}",
    "",
    "/** printk(KERN_INFO + \"fmt\", ...): the level comes from the KERN_* prefix, default KERN_WARNING. */",
    wrapper("printk", "LOGLEVEL_DEFAULT"),
    ...levels.map(([name, v]) => wrapper(`pr_${name === "warning" ? "warn" : name}`, String(v))),
  ].join("\n");
}

function constants(): string {
  const lines: string[] = ["// errno (asm-generic/errno-base.h, errno.h)"];
  for (const name of Object.keys(ERRNO) as ErrnoName[]) lines.push(`export const ${name}: i32 = ${ERRNO[name][0]};`);
  lines.push("", "// log levels (kern_levels.h)", `export const LOGLEVEL_DEFAULT: i32 = ${LOGLEVEL_DEFAULT};`);
  for (const [k, v] of Object.entries(LOGLEVELS)) {
    lines.push(`export const ${k}: string = "\\x${KERN_SOH.charCodeAt(0).toString(16).padStart(2, "0")}${v}";`);
    lines.push(`export const LOGLEVEL_${k.slice(5)}: i32 = ${v};`);
  }
  lines.push("", "// allocation flags (gfp_types.h, Linux 6.1 values)");
  for (const [k, v] of Object.entries(GFP)) lines.push(`export const ${k}: u32 = 0x${v.toString(16)};`);
  lines.push("", `export const ERESTARTSYS: i32 = ${ERESTARTSYS};`);
  lines.push("", "// open flags, *at() and lseek constants (fcntl.h), file types (stat.h), irq and poll (interrupt.h, poll.h), binfmts.h, net devices (netdevice.h, if_ether.h), kunit");
  // Sorted: a module namespace's key order differs between node and vitest's transform.
  const flags = [
    ...Object.entries(FCNTL), ...Object.entries(STAT), ...Object.entries(IRQ), ...Object.entries(NETDEVICE), ...Object.entries(POLL), ...Object.entries(BINFMTS), ...Object.entries(ATTR),
    ...Object.entries(KUNIT),
  ]
    .sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [k, v] of flags) if (typeof v === "number") lines.push(`export const ${k}: i32 = ${v};`);
  lines.push("", "// filesystem magic numbers, statfs's f_type (uapi/linux/magic.h)");
  for (const [k, v] of Object.entries(MAGIC).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`export const ${k}: i64 = 0x${v.toString(16)};`);
  lines.push("", "// spinlock_t's and rwlock_t's debug fields (spinlock_types.h, rwlock_types.h) and list poison (poison.h), which spinlock.ts, rwlock.ts and list.ts use");
  for (const [k, v] of Object.entries({ ...SPINLOCK, ...POISON }).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`export const ${k}: u32 = 0x${v.toString(16)};`);
  lines.push("", "// x86_64 system call numbers (asm/unistd_64.h)");
  for (const [k, v] of Object.entries(SYSCALLS)) lines.push(`export const __NR_${k}: i32 = ${v};`);
  lines.push("", "/** kmalloc(0) returns this, as Linux does: not NULL, but not to be dereferenced. */");
  lines.push("export const ZERO_SIZE_PTR: usize = 16;");
  return lines.join("\n") + "\n";
}

export function generateHeader(): string {
  return [
    "// Generated by scripts/genheaders.ts from abi/ — do not edit. The kernel ABI as AssemblyScript sees it.",
    '/// <reference path="./module.d.ts" />',
    "",
    constants(),
    ...Object.entries(STRUCTS).map(([name, def]) => structDecl(name, def)),
    ...Object.entries(KERNEL_SYMBOLS).map(([name, def]) => symbolDecl(name, def)),
    printkWrappers(),
  ].join("\n");
}

/** A module_param type's AssemblyScript type, as a TypeScript type argument. */
function paramAsType(name: keyof typeof PARAM_TYPES): string {
  return PARAM_TYPES[name].as[0]!;
}

/**
 * The module macros as tsc sees them: modpost reads and removes them before asc compiles a module, so only
 * editors and tsc (with assemblyscript/std/assembly.json) ever check these declarations.
 */
export function generateMacros(): string {
  const doc = (text: string) => `/** ${text} */`;
  const paramTypes = (Object.keys(PARAM_TYPES) as (keyof typeof PARAM_TYPES)[])
    .filter((t) => t !== "bool")
    .flatMap((t) => [doc(`module_param type ${t}: the variable's type is ${paramAsType(t)}.`), `declare const ${t}: ModuleParamType<${paramAsType(t)}>;`]);
  const modinfo = Object.entries(MODINFO_MACROS).flatMap(([name, m]) => [doc(`${m.doc} (.modinfo ${m.key}=)`), `declare function ${name}(${m.key}: string): void;`]);
  return [
    "// Generated by scripts/genheaders.ts from abi/ — do not edit. The module macros, declared for tsc and editors:",
    "// modpost reads them from a module's source and removes them before asc compiles it.",
    '/// <reference types="assemblyscript/std/assembly/rt" />',
    "",
    doc("The type argument of module_param whose variable is a T."),
    "declare interface ModuleParamType<T> {",
    "  readonly __moduleParam: T;",
    "}",
    "// module_param type bool is AssemblyScript's own bool (a type and a function), which module_param takes too.",
    ...paramTypes,
    "",
    ...modinfo,
    "",
    doc(SYMBOL_MACROS.module_param),
    "declare function module_param<T>(variable: T, type: ModuleParamType<T> | typeof bool, perm: i32): void;",
    doc(SYMBOL_MACROS.MODULE_PARM_DESC),
    "declare function MODULE_PARM_DESC(variable: unknown, description: string): void;",
    doc(SYMBOL_MACROS.EXPORT_SYMBOL),
    "declare function EXPORT_SYMBOL(fn: Function): void;",
    doc(SYMBOL_MACROS.EXPORT_SYMBOL_GPL),
    "declare function EXPORT_SYMBOL_GPL(fn: Function): void;",
    "",
  ].join("\n");
}

/** A check family's operands (after test), whether they pass (OP: the check's operator), and its report's arguments. */
const CHECK_FAMILIES: Record<KunitCheckFamily, { generic: boolean; params: string; pass: string; report: string }> = {
  int: { generic: true, params: "left: T, right: T", pass: "left OP right", report: "__kunit_int(test, TYPE, \"OP\", PASS, left, right)" },
  ptr: {
    generic: true, params: "left: T, right: T", pass: "changetype<usize>(left) OP changetype<usize>(right)",
    report: "__kunit_ptr(test, TYPE, \"OP\", PASS, changetype<usize>(left), changetype<usize>(right))",
  },
  null: { generic: true, params: "ptr: T", pass: "changetype<usize>(ptr) OP 0", report: "__kunit_null(test, TYPE, \"OP\", PASS, changetype<usize>(ptr))" },
  str: { generic: false, params: "left: string, right: string", pass: "left OP right", report: "__kunit_str(test, TYPE, \"OP\", PASS, left, right)" },
  mem: {
    generic: false, params: "left: usize, right: usize, size: usize", pass: "__kunit_memcmp(left, right, size) OP 0",
    report: "__kunit_mem(test, TYPE, \"OP\", PASS, left, right, size)",
  },
  bool: { generic: false, params: "condition: bool", pass: "condition == OP", report: "__kunit_bool(test, TYPE, PASS, OP)" },
  not_err: { generic: true, params: "ptr: T", pass: "!__kunit_is_err_or_null(changetype<usize>(ptr))", report: "__kunit_not_err(test, TYPE, PASS, changetype<usize>(ptr))" },
};

/** The _MSG forms' message: a printk format and up to six arguments, as pr_info takes them. */
const MSG_TYPES = ["A", "B", "C", "D", "E", "F"].map((t) => `${t} = u32`).join(", ");
const MSG_PARAMS = ["a", "b", "c", "d", "e", "f"].map((p) => `${p}: ${p.toUpperCase()} = changetype<${p.toUpperCase()}>(0)`).join(", ");
const MSG_SLOTS = ["a", "b", "c", "d", "e", "f"].map((p) => `__printk_arg<${p.toUpperCase()}>(${p})`).join(", ");

/** KUnit's printk-like calls, (test, fmt, ...): their doc and body (ARGS: the six argument slots). */
const KUNIT_PRINTK: Record<string, readonly [doc: string, body: string]> = {
  kunit_info: ['"    # CASE: message" in the kernel log and the case\'s results.', "__kunit_printk(LOGLEVEL_INFO, test, fmt, ARGS);"],
  kunit_warn: ["kunit_info() at KERN_WARNING.", "__kunit_printk(LOGLEVEL_WARNING, test, fmt, ARGS);"],
  kunit_err: ["kunit_info() at KERN_ERR.", "__kunit_printk(LOGLEVEL_ERR, test, fmt, ARGS);"],
  kunit_mark_skipped: ["The case reports as skipped with this reason (unless it fails), and goes on.", "__kunit_mark_skipped(test, fmt, ARGS);"],
  kunit_skip: ["The case reports as skipped with this reason, and ends here.", "__kunit_mark_skipped(test, fmt, ARGS);\n  __kunit_abort(test);"],
  KUNIT_FAIL: ["Fail the case with this message.", "__kunit_fail(test, KUNIT_EXPECTATION, test.last_seen, fmt, ARGS);"],
};

function printkDecl(name: string, doc: string, body: string): string {
  return `/** ${doc} */\nexport function ${name}<${MSG_TYPES}>(test: kunit, fmt: string, ${MSG_PARAMS}): void {\n  ${body.replaceAll("ARGS", MSG_SLOTS)}\n}\n`;
}

function checkDecl(name: string, family: KunitCheckFamily, op: string, type: "EXPECT" | "ASSERT", msg: boolean): string {
  const f = CHECK_FAMILIES[family];
  const generics = [...(f.generic ? ["T"] : []), ...(msg ? [MSG_TYPES] : [])];
  const params = ["test: kunit", f.params, ...(msg ? ["fmt: string", MSG_PARAMS] : [])].join(", ");
  const pass = f.pass.replaceAll("OP", op);
  const report = f.report
    .replace("TYPE", type === "EXPECT" ? "KUNIT_EXPECTATION" : "KUNIT_ASSERTION")
    .replace("PASS", msg ? `__kunit_msg(test, ${pass}, fmt, a, b, c, d, e, f)` : pass)
    .replaceAll("OP", op);
  const head = `export function KUNIT_${type}_${name}${msg ? "_MSG" : ""}${generics.length ? `<${generics.join(", ")}>` : ""}`;
  return `${head}(${params}): void {\n  ${report};\n}\n`;
}

export function generateKunitMacros(): string {
  const decls = Object.entries(KUNIT_CHECKS).flatMap(([name, [family, op]]) =>
    (["EXPECT", "ASSERT"] as const).flatMap((type) => [false, true].map((msg) => checkDecl(name, family, op, type, msg))),
  );
  return [
    "// Generated by scripts/genheaders.ts from abi/kunit.ts — do not edit. KUnit's macros (include/kunit/test.h) in",
    "// all their forms: a failed KUNIT_EXPECT_* fails its case, which goes on; a failed KUNIT_ASSERT_* also ends it.",
    "// modpost gives each check its place and operand texts through __kunit_at (scripts/mod/kunit.ts).",
    "",
    "import {",
    "  __kunit_abort, __kunit_fail, __kunit_mark_skipped, __kunit_printk, __printk_arg, KUNIT_ASSERTION, KUNIT_EXPECTATION, kunit,",
    "  LOGLEVEL_ERR, LOGLEVEL_INFO, LOGLEVEL_WARNING,",
    "} from \"./kernel\";",
    "import {",
    "  __kunit_bool, __kunit_int, __kunit_is_err_or_null, __kunit_mem, __kunit_memcmp, __kunit_msg, __kunit_not_err, __kunit_null,",
    "  __kunit_ptr, __kunit_str,",
    "} from \"./kunit\";",
    "",
    ...Object.entries(KUNIT_PRINTK).map(([name, [doc, body]]) => printkDecl(name, doc, body)),
    ...decls,
  ].join("\n");
}

/** Each generated file and its text. */
export function generatedFiles(): [path: string, text: string][] {
  return [[HEADER_PATH, generateHeader()], [MACROS_PATH, generateMacros()], [KUNIT_MACROS_PATH, generateKunitMacros()]];
}

function main(argv: string[]): number {
  const stale = generatedFiles().filter(([path, text]) => !existsSync(path) || readFileSync(path, "utf8") !== text);
  if (!argv.includes("--check")) {
    for (const [path, text] of stale) writeFileSync(path, text);
    return 0;
  }
  for (const [path] of stale) process.stderr.write(`${path} is stale: run npm run build\n`);
  return stale.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
