// Kbuild: compile modules with asc and the modpost transform, then let modpost write their sections.
//
// `node dist/scripts/build.js` builds every modules/NAME/NAME.ts to build/modules/NAME.wasm.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { main as asc, type Transform } from "assemblyscript/asc";
import { decodeNamedU32, SECTION_KSYMTAB, SECTION_KSYMTAB_GPL } from "../abi/module.js";
import { customSections, readSections } from "../abi/wasm.js";
import { BUILD_DIR, MODULES_DIR, ROOT } from "./paths.js";
export { BUILD_DIR, MODULES_DIR, ROOT };
import { modpost, type ModpostResult, type ModuleObject, type SymbolOwners } from "./mod/modpost.js";
import { ModpostTransform } from "./mod/transform.js";

const MOD_GLUE = join(ROOT, "abi", "include", "mod.ts");

export class BuildError extends Error {}

/** KBUILD_MODNAME: the file's base name with '-' as '_'. */
export function moduleName(entry: string): string {
  return basename(entry, ".ts").replace(/-/g, "_");
}

/**
 * Compile one module's entry file (and what it imports) to a ModuleObject. `transforms` run after modpost's
 * (a transform class gets asc's binaryen injected; the benchmarks use one to keep callees out of line).
 */
export async function compileModule(entry: string, intree: boolean, transforms: readonly Transform[] = []): Promise<ModuleObject> {
  const name = moduleName(entry);
  const transform = new ModpostTransform();
  let binary: Uint8Array | undefined;
  const sources: string[] = [];
  const stderr: string[] = [];
  const { error } = await asc(
    [relative(ROOT, entry), relative(ROOT, MOD_GLUE), "--config", "asconfig.json", "--outFile", `${name}.wasm`],
    {
      transforms: [transform as unknown as Transform, ...transforms],
      readFile: (file, dir) => readSource(resolve(dir, file), sources),
      writeFile: (_file, contents) => {
        binary = contents as Uint8Array;
      },
      listFiles: () => [],
      stdout: { write: () => true } as never,
      stderr: { write: (s: string | Uint8Array) => (stderr.push(String(s)), true) } as never,
    },
  );
  if (error || !binary || !transform.meta) {
    throw new BuildError(`${name}: ${error?.message ?? "no output"}\n${stderr.join("")}`.trimEnd());
  }
  return { name, binary, meta: transform.meta, intree, sources };
}

function readSource(path: string, sources: string[]): string | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, "utf8");
  if (!path.includes("node_modules")) sources.push(text);
  return text;
}

/** The in-tree modules: every modules/NAME/NAME.ts, and the KUnit test modules beside them (modules/NAME/*_test.ts). */
export function treeModules(): string[] {
  return readdirSync(MODULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(MODULES_DIR, d.name)).filter((f) => f === `${d.name}.ts` || f.endsWith("_test.ts")).map((f) => join(MODULES_DIR, d.name, f)))
    .sort();
}

/** Module.symvers for out-of-tree builds: who exports what among the built in-tree modules. */
export function builtSymbolOwners(dir: string = BUILD_DIR): SymbolOwners {
  const owners = new Map<string, string>();
  if (!existsSync(dir)) return owners;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".wasm"))) {
    const sections = readSections(readFileSync(join(dir, file)));
    for (const section of [SECTION_KSYMTAB, SECTION_KSYMTAB_GPL]) {
      for (const payload of customSections(sections, section)) {
        for (const e of decodeNamedU32(payload) ?? []) owners.set(e.name, basename(file, ".wasm"));
      }
    }
  }
  return owners;
}

function writeResults(results: readonly ModpostResult[], outDir: string, log: (s: string) => void): void {
  mkdirSync(outDir, { recursive: true });
  for (const r of results) {
    for (const w of r.warnings) log(w);
    writeFileSync(join(outDir, `${r.name}.wasm`), r.binary);
  }
}

/** Build the given in-tree module sources (default: all of them) into outDir. */
export async function buildTree(entries = treeModules(), outDir = BUILD_DIR, log = console.error): Promise<string[]> {
  const objs = await Promise.all(entries.map((e) => compileModule(e, true)));
  writeResults(modpost(objs), outDir, log);
  return objs.map((o) => join(outDir, `${o.name}.wasm`));
}

/** Build a module outside the tree against the built tree's exports (make M=dir); returns the output path. */
export async function buildExternal(entry: string, outFile?: string, log = console.error): Promise<string> {
  const obj = await compileModule(resolve(entry), false);
  const out = resolve(outFile ?? join(dirname(resolve(entry)), `${obj.name}.wasm`));
  const [result] = modpost([obj], builtSymbolOwners());
  for (const w of result!.warnings) log(w);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, result!.binary);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildTree();
  console.error(`  MODPOST ${built.length} modules`);
  for (const path of built) console.error(`  LD [M]  ${relative(ROOT, path)}`);
}
