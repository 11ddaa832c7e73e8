// kmod 34's testsuite/module-playground in AssemblyScript: the modules kmod's own tests index and load,
// each as its C source declares it (exports, the symbols it calls, aliases, licence, author), and a
// rootfs maker that lays them out as testsuite/setup-rootfs.sh does. A set is one modpost run, built
// once into build/kmod-playground/ and built again only when its sources or the module ABI change.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { VERMAGIC } from "../../abi/version.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { writeModuleSource } from "../../scripts/mod/source.js";
import { ROOT } from "../../scripts/paths.js";

const AUTHOR = 'MODULE_AUTHOR("Lucas De Marchi <lucas.demarchi@intel.com>");';

/** A module exporting `exports` (each printing a line) and calling `calls` from its init, as mod-loop-*.c and mod-foo*.c do. */
function printer(name: string, exports: readonly string[], calls: readonly string[], extra: readonly string[] = [], exit = false): string {
  const own = new Set(exports);
  return [
    'import { pr_warn } from "@abi/include/kernel";',
    ...calls.filter((c) => !own.has(c)).map((c) => `@external("kernel", "${c}")\ndeclare function ${c}(): void;`),
    ...exports.map((e) => `export function ${e}(): void {\n  pr_warn("${name}: ${e}\\n");\n}\nEXPORT_SYMBOL(${e});`),
    `export function init_module(): i32 {\n${calls.map((c) => `  ${c}();\n`).join("")}  return 0;\n}`,
    ...(exit ? ["export function cleanup_module(): void {}"] : []),
    AUTHOR,
    'MODULE_LICENSE("LGPL");',
    ...extra,
  ].join("\n");
}

/** mod-simple.c: a GPL module with an init and an exit, and nothing else to say. */
const MOD_SIMPLE = [
  'import { pr_info } from "@abi/include/kernel";',
  'export function init_module(): i32 {\n  pr_info("mod_simple: init\\n");\n  return 0;\n}',
  "export function cleanup_module(): void {}",
  AUTHOR,
  'MODULE_LICENSE("GPL");',
].join("\n");

/** mod-loop-*.c: the three loops of the Kbuild's picture (a b c, d e, h i j k), f and g used by the first. */
const LOOP_CALLS: Readonly<Record<string, readonly string[]>> = {
  a: ["printA", "printB", "printF", "printG"],
  b: ["printB", "printC", "printF", "printG"],
  c: ["printC", "printA"],
  d: ["printD", "printE"],
  e: ["printE", "printD"],
  f: ["printF"],
  g: ["printG"],
  h: ["printH", "printI"],
  i: ["printI", "printJ"],
  j: ["printJ", "printH", "printK"],
  k: ["printK", "printH"],
};

/** mod-fake-cciss.c's and mod-fake-hpsa.c's aliases, in the order their .modinfo holds them. */
const CCISS_ALIASES = [
  "d00003230sv0000103Csd0000323D", "d00003230sv0000103Csd00003237", "d00003238sv0000103Csd00003215", "d00003238sv0000103Csd00003214",
  "d00003238sv0000103Csd00003213", "d00003238sv0000103Csd00003212", "d00003238sv0000103Csd00003211", "d00003230sv0000103Csd00003235",
  "d00003230sv0000103Csd00003234", "d00003230sv0000103Csd00003223", "d00003220sv0000103Csd00003225",
].map((id) => `pci:v0000103C${id}bc*sc*i*`).concat([
  "d00000046sv00000E11sd0000409D", "d00000046sv00000E11sd0000409C", "d00000046sv00000E11sd0000409B", "d00000046sv00000E11sd0000409A",
  "d00000046sv00000E11sd00004091", "d0000B178sv00000E11sd00004083", "d0000B178sv00000E11sd00004082", "d0000B178sv00000E11sd00004080",
  "d0000B060sv00000E11sd00004070",
].map((id) => `pci:v00000E11${id}bc*sc*i*`));
const HPSA_ALIASES = ["pci:v0000103Cd*sv*sd*bc01sc04i*"].concat([
  "323Bsv0000103Csd00003356", "323Bsv0000103Csd00003355", "323Bsv0000103Csd00003354", "323Bsv0000103Csd00003353",
  "323Bsv0000103Csd00003352", "323Bsv0000103Csd00003351", "323Bsv0000103Csd00003350", "323Asv0000103Csd00003233",
  "323Asv0000103Csd0000324B", "323Asv0000103Csd0000324A", "323Asv0000103Csd00003249", "323Asv0000103Csd00003247",
  "323Asv0000103Csd00003245", "323Asv0000103Csd00003243", "323Asv0000103Csd00003241",
].map((id) => `pci:v0000103Cd0000${id}bc*sc*i*`));
const aliases = (list: readonly string[]) => list.map((a) => `MODULE_ALIAS("${a}");`);

/** Each set is built by one modpost run (its modules link against one another). */
export const PLAYGROUND = {
  simple: { mod_simple: MOD_SIMPLE },
  /** detect-loop's eleven, with every call of the C sources: depmod indexes them, nothing loads them. */
  loops: Object.fromEntries(Object.entries(LOOP_CALLS).map(([x, calls]) => [`mod_loop_${x}`, printer(`mod_loop_${x}`, [`print${x.toUpperCase()}`], calls)])),
  /** mod-loop-a and mod-loop-b as the modprobe tests' modules.dep has them: a uses b, b uses nothing. */
  pair: { mod_loop_a: printer("mod_loop_a", ["printA"], ["printA", "printB"]), mod_loop_b: printer("mod_loop_b", ["printB"], ["printB"]) },
  foo: {
    mod_foo: printer("mod_foo", [], ["print_fooA", "print_fooB", "print_fooC"]),
    mod_foo_a: printer("mod_foo_a", ["print_fooA"], []),
    mod_foo_b: printer("mod_foo_b", ["print_fooB"], []),
    mod_foo_c: printer("mod_foo_c", ["print_fooC"], []),
  },
  weakdep: { mod_weakdep: printer("mod_weakdep", [], [], ['MODULE_WEAKDEP("mod-simple");']) },
  fake: {
    mod_fake_scsi_mod: printer("mod_fake_scsi_mod", ["dummy_export"], [], [], true),
    mod_fake_hpsa: printer("mod_fake_hpsa", [], ["dummy_export"], aliases(HPSA_ALIASES), true),
    mod_fake_cciss: printer("mod_fake_cciss", [], [], aliases(CCISS_ALIASES), true),
  },
} as const satisfies Record<string, Record<string, string>>;

export type PlaygroundSet = keyof typeof PLAYGROUND;

const CACHE = join(ROOT, "build", "kmod-playground");

/** A set's binaries by module name, from the cache or built now. */
export async function playground(set: PlaygroundSet): Promise<ReadonlyMap<string, Uint8Array>> {
  const sources: Record<string, string> = PLAYGROUND[set];
  const abi = readFileSync(join(ROOT, "abi", "include", "kernel.ts"), "utf8");
  const hash = createHash("sha256").update(JSON.stringify(sources)).update(abi).update(VERMAGIC).digest("hex").slice(0, 16);
  const dir = join(CACHE, `${set}-${hash}`);
  if (!existsSync(dir)) {
    const work = `${dir}.${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    const objs = [];
    for (const [name, source] of Object.entries(sources)) objs.push(await compileModule(writeModuleSource(join(work, "src"), name, source), true));
    for (const r of modpost(objs)) writeFileSync(join(work, `${r.name}.wasm`), r.binary);
    const stale = readdirSync(CACHE).filter((d) => d.startsWith(`${set}-`) && !d.includes(".") && d !== basename(dir));
    for (const d of stale) rmSync(join(CACHE, d), { recursive: true, force: true });
    try {
      renameSync(work, dir);
    } catch {
      // another test file built the same set meanwhile
      rmSync(work, { recursive: true, force: true });
    }
  }
  return new Map(Object.keys(sources).map((name) => [name, new Uint8Array(readFileSync(join(dir, `${name}.wasm`)))]));
}

/** Lay files out under `root` (relative paths): module binaries and text fixtures, directories made as needed. */
export function layout(root: string, files: Readonly<Record<string, Uint8Array | string>>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
