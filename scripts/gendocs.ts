// Generate docs/kernel-api.md, the reference of the kernel API, from abi/: every symbol, struct, callback,
// macro and constant a module sees, with the docs written beside their definitions there.
//
// `node dist/scripts/gendocs.js` writes it; `--check` exits 1 if the committed file is stale.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { abiPrototype, crc32 } from "../abi/crc.js";
import { ERRNO } from "../abi/errno.js";
import { GFP } from "../abi/gfp.js";
import { KERNEL_SYMBOLS, STRUCTS, type KernelSymbolName, type SymbolDef } from "../abi/kernel.js";
import {
  CALLBACK_DOCS, CONVENTIONS, ENTRY_DOCS, STRUCT_DOCS, SYMBOL_SECTIONS, type OperationDoc, type ValueDoc,
} from "../abi/kernel_doc.js";
import { MODINFO_MACROS, SYMBOL_MACROS } from "../abi/module.js";
import { CHARP_MAX, PARAM_TYPES, type ParamType } from "../abi/moduleparam.js";
import { layoutStruct, type StructDef } from "../abi/types.js";
import { VERMAGIC } from "../abi/version.js";
import { declaration } from "./genheaders.js";
import { ROOT } from "./paths.js";

export const DOCS_PATH = join(ROOT, "docs", "kernel-api.md");

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as '-'. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** The symbols no section lists, so that a new symbol still appears (under its own heading) until one does. */
function unsectioned(): KernelSymbolName[] {
  const listed = new Set(SYMBOL_SECTIONS.flatMap((s) => s.symbols));
  return (Object.keys(KERNEL_SYMBOLS) as KernelSymbolName[]).filter((n) => !listed.has(n));
}

function sections(): { title: string; intro: string; symbols: readonly KernelSymbolName[] }[] {
  const rest = unsectioned();
  return rest.length === 0 ? [...SYMBOL_SECTIONS] : [...SYMBOL_SECTIONS, { title: "Other symbols", intro: "", symbols: rest }];
}

function symbol(name: KernelSymbolName): string {
  const def: SymbolDef = KERNEL_SYMBOLS[name];
  const export_ = def.gpl ? "EXPORT_SYMBOL_GPL: only modules with a GPL-compatible licence may use it" : "EXPORT_SYMBOL";
  const crc = crc32(abiPrototype(name, def, STRUCTS));
  const as = def.kind === "global" && def.sourceName ? ` (\`${def.sourceName}\` in the header)` : "";
  return [
    `#### \`${name}\``,
    "",
    "```ts",
    declaration(name, def),
    "```",
    "",
    `${def.doc}`,
    "",
    `${export_}${as}; CRC \`${hex8(crc)}\`${def.kind === "global" && def.perModule ? "; each module gets a value of its own" : ""}.`,
    "",
  ].join("\n");
}

function operation(heading: string, op: OperationDoc, extra: string[] = []): string {
  return [
    heading,
    "",
    "```ts",
    `${op.signature}`,
    "```",
    "",
    ...extra,
    `- **Does:** ${op.does}`,
    `- **Returns:** ${op.returns}`,
    `- **Runs in:** ${op.context}`,
    `- **When 0:** ${op.empty}`,
    "",
  ].join("\n");
}

function isOperation(doc: OperationDoc | ValueDoc): doc is OperationDoc {
  return "signature" in doc;
}

function struct(name: keyof typeof STRUCTS): string {
  const def: StructDef = STRUCTS[name];
  const layout = layoutStruct(name, def);
  const docs = STRUCT_DOCS[name].fields as Readonly<Record<string, OperationDoc | ValueDoc>>;
  const rows = layout.fields.map((f) => {
    const doc = docs[f.name]!;
    return `| \`${f.name}\` | ${f.offset} | \`${f.type}\` | ${isOperation(doc) ? `operation: [below](#${anchor(`${name}.${f.name}`)})` : doc.value} |`;
  });
  const ops = layout.fields.flatMap((f) => {
    const doc = docs[f.name]!;
    return isOperation(doc) ? [operation(`#### ${name}.${f.name}`, doc)] : [];
  });
  return [
    `### struct ${name}`,
    "",
    STRUCT_DOCS[name].doc,
    "",
    `${layout.size} bytes, aligned to ${layout.align}. In the header: \`@unmanaged class ${name}\`; a function pointer field holds \`fn.index\`.`,
    "",
    "| field | offset | type | what |",
    "|---|---|---|---|",
    ...rows,
    "",
    ...ops,
  ].join("\n");
}

function macros(): string {
  const rows = [
    ...Object.entries(MODINFO_MACROS).map(([name, m]) => `| \`${name}("...")\` | \`${m.key}=\` | ${m.doc} |`),
    ...Object.entries(SYMBOL_MACROS).map(([name, doc]) => `| \`${name}\` | ${name === "MODULE_PARM_DESC" ? "`parm=`" : name === "module_param" ? "`parmtype=`, `__param`" : "`__ksymtab`"} | ${doc} |`),
  ];
  const params = Object.entries(PARAM_TYPES).map(([name, t]: [string, ParamType]) => {
    const range = t.range ? `${t.range[0]} to ${t.range[1]}` : name === "charp" ? `a string (at most ${CHARP_MAX} bytes)` : "y/n/1/0";
    return `| \`${name}\` | ${t.as.map((a) => `\`${a}\``).join(" or ")} | ${range} |`;
  });
  return [
    "## A module's declarations",
    "",
    "Top-level statements, as in C; modpost reads them from the source, writes them into the module's sections and removes",
    "them before the module is compiled (abi/include/module.d.ts declares them for tsc and editors).",
    "",
    "| macro | writes | what |",
    "|---|---|---|",
    ...rows,
    "",
    "`module_param` types, and the type the variable (`export let`) must have:",
    "",
    "| type | AssemblyScript | values |",
    "|---|---|---|",
    ...params,
    "",
  ].join("\n");
}

function constants(): string {
  const errnos = Object.entries(ERRNO).map(([name, [n, text]]) => `| \`${name}\` | ${n} | ${text} |`);
  return [
    "## Constants",
    "",
    "The header also defines the errno numbers (below), `KERN_*` prefixes and `LOGLEVEL_*` levels, the `GFP_*` flags",
    `(${Object.keys(GFP).filter((k) => !k.startsWith("__")).map((k) => `\`${k}\``).join(", ")}...), open flags and`,
    "`*at()` constants (`O_*`, `AT_*`, `SEEK_*`), file types and modes (`S_IF*`, `DT_*`), `IRQF_*` and `IRQ_*`, `POLL*`,",
    "`BINPRM_BUF_SIZE`, `ERESTARTSYS`, `ZERO_SIZE_PTR` and the x86_64 system call numbers (`__NR_openat`...).",
    "",
    "| errno | number | strerror |",
    "|---|---|---|",
    ...errnos,
    "",
  ].join("\n");
}

export function generateDocs(): string {
  const structs = Object.keys(STRUCTS) as (keyof typeof STRUCTS)[];
  const secs = sections();
  const toc = [
    "## Contents",
    "",
    `- [Conventions](#conventions): ${CONVENTIONS.map((c) => `[${c.title.toLowerCase()}](#${anchor(c.title)})`).join(", ")}`,
    "- [A module's declarations](#a-modules-declarations) · [Entry points](#entry-points)",
    `- [Symbols](#symbols): ${secs.map((s) => `[${s.title.toLowerCase()}](#${anchor(s.title)})`).join(", ")}`,
    `- [Structs and their operations](#structs-and-their-operations): ${structs.map((s) => `[${s}](#${anchor(`struct ${s}`)})`).join(", ")}`,
    "- [Callbacks](#callbacks) · [Constants](#constants)",
    "",
  ];
  return [
    "<!-- Generated by scripts/gendocs.ts from abi/ — do not edit: change the docs in abi/kernel.ts, abi/kernel_doc.ts, abi/module.ts. -->",
    "# The kernel API",
    "",
    "What a module can use of the kernel, and what the kernel expects of the functions a module gives it. A module",
    'imports the symbols from the header: `import { pr_info, register_chrdev } from "wasm-lkm/kernel"` (in the tree,',
    '`"../../abi/include/kernel"`). Every symbol is resolved at insmod by name and checked by CRC: a module built',
    `against another prototype is refused ("disagrees about version of symbol"). This is the ABI of \`${VERMAGIC.trim()}\`.`,
    "",
    ...toc,
    "## Conventions",
    "",
    ...CONVENTIONS.flatMap((c) => [`### ${c.title}`, "", c.text, ""]),
    macros(),
    "## Entry points",
    "",
    ...Object.entries(ENTRY_DOCS).map(([name, op]) => operation(`### ${name}`, op)),
    "## Symbols",
    "",
    ...secs.flatMap((s) => [`### ${s.title}`, "", ...(s.intro ? [s.intro, ""] : []), ...s.symbols.map(symbol)]),
    "## Structs and their operations",
    "",
    ...structs.map(struct),
    "## Callbacks",
    "",
    "Functions a module gives by `fn.index` to a symbol rather than in a struct.",
    "",
    ...Object.entries(CALLBACK_DOCS).map(([name, op]) =>
      operation(`### ${name[0]!.toUpperCase()}${name.slice(1)}`, op, [`Given to ${op.givenTo.map((g) => `[${g}](#${anchor(g)})`).join(", ")}.`, ""]),
    ),
    constants(),
  ].join("\n");
}

function main(argv: string[]): number {
  const text = generateDocs();
  const fresh = existsSync(DOCS_PATH) && readFileSync(DOCS_PATH, "utf8") === text;
  if (!argv.includes("--check")) {
    if (!fresh) writeFileSync(DOCS_PATH, text);
    return 0;
  }
  if (fresh) return 0;
  process.stderr.write(`${DOCS_PATH} is stale: run node dist/scripts/gendocs.js\n`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
