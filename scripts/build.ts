// Kbuild: compile modules with asc and the modpost transform, then let modpost write their sections.
//
// `node dist/scripts/build.js` builds every modules/NAME/NAME.ts to build/modules/NAME.wasm; buildModules()
// builds modules outside the tree (make M=dir), from any directory, as `wasm-lkm build` does.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { main as asc, type Transform } from "assemblyscript/asc";
import { BUILD_DIR, MODULES_DIR, ROOT } from "./paths.js";
export { BUILD_DIR, MODULES_DIR, ROOT };
import { BuildError, ModpostError } from "./mod/error.js";
export { BuildError };
import { modpost, type ModpostResult, type ModuleObject, type SymbolOwners } from "./mod/modpost.js";
import { builtSymbolOwners, extraSymbolOwners } from "./mod/symvers.js";
import { ModpostTransform, NeedsLocations } from "./mod/transform.js";

const MOD_GLUE = join(ROOT, "abi", "include", "mod.ts");
const ASCONFIG = join(ROOT, "asconfig.json");
/** Where asc looks for `import ... from "wasm-lkm/kernel"`: node_modules/wasm-lkm/kernel.ts, up from the current directory. */
const PACKAGE_DIR = `${sep}node_modules${sep}wasm-lkm${sep}`;

/** KBUILD_MODNAME: the file's base name with '-' as '_'. */
export function moduleName(entry: string): string {
  return basename(entry, ".ts").replace(/-/g, "_");
}

/**
 * Compile one module's entry file (and what it imports) to a ModuleObject. `transforms` run after modpost's
 * (a transform class gets asc's binaryen injected; the benchmarks use one to keep callees out of line).
 * Throws BuildError with asc's diagnostics or modpost's errors.
 */
export async function compileModule(entry: string, intree: boolean, transforms: readonly Transform[] = []): Promise<ModuleObject> {
  try {
    return await compileOnce(entry, intree, transforms, false);
  } catch (e) {
    if (!(e instanceof NeedsLocations)) throw e;
    return compileOnce(entry, intree, transforms, true);
  }
}

/** One asc run; with `located`, source locations go into the module (--sourceMap) for modpost's errors to name lines. */
async function compileOnce(entry: string, intree: boolean, transforms: readonly Transform[], located: boolean): Promise<ModuleObject> {
  const name = moduleName(entry);
  const transform = new ModpostTransform(located);
  let binary: Uint8Array | undefined;
  const sources: string[] = [];
  const stderr: string[] = [];
  // Paths relative to the current directory, which asc resolves them against: its messages name them so.
  const here = (path: string) => relative(process.cwd(), resolve(path));
  const { error } = await asc(
    [here(entry), here(MOD_GLUE), "--config", ASCONFIG, "--outFile", `${name}.wasm`, ...(located ? ["--sourceMap"] : [])],
    {
      transforms: [transform as unknown as Transform, ...transforms],
      readFile: (file, dir) => readSource(resolve(dir, file), sources),
      writeFile: (file, contents) => {
        if (file.endsWith(".wasm")) binary = contents as Uint8Array;
      },
      listFiles: () => [],
      stdout: { write: () => true } as never,
      stderr: { write: (s: string | Uint8Array) => (stderr.push(String(s)), true) } as never,
    },
  );
  if (error instanceof NeedsLocations) throw error;
  if (error instanceof ModpostError) throw new BuildError(error.message);
  if (error || !binary || !transform.meta) {
    // asc colours its messages whenever CI is set in the environment, even into a buffer; ours go to files and pipes.
    const messages = stripVTControlCharacters(stderr.join("")).trimEnd();
    throw new BuildError(`${messages}\n${name}: ${error?.message ?? "no output"}`.trimStart());
  }
  return { name, binary, meta: transform.meta, intree, sources };
}

/**
 * A source file for asc. The kernel header imported by package name is this kernel's own, wherever asc
 * found the package, so that a module is built against the ABI of the kernel that builds it.
 */
function readSource(path: string, sources: string[]): string | null {
  const at = path.lastIndexOf(PACKAGE_DIR);
  const file = at < 0 ? path : join(ROOT, path.slice(at + PACKAGE_DIR.length));
  if (!existsSync(file)) return null;
  const text = readFileSync(file, "utf8");
  if (!path.includes(`${sep}node_modules${sep}`)) sources.push(text);
  return text;
}

/** The in-tree modules: every modules/NAME/NAME.ts, and the KUnit test modules beside them (modules/NAME/*_test.ts). */
export function treeModules(): string[] {
  return readdirSync(MODULES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(MODULES_DIR, d.name)).filter((f) => f === `${d.name}.ts` || f.endsWith("_test.ts")).map((f) => join(MODULES_DIR, d.name, f)))
    .sort();
}

/** modpost over modules compiled together; any error stops the build before anything is written. */
function link(objs: readonly ModuleObject[], owners?: SymbolOwners): ModpostResult[] {
  const results = modpost(objs, owners);
  const errors = results.flatMap((r) => r.errors);
  if (errors.length > 0) throw new BuildError(errors.join("\n"));
  return results;
}

/** Compile every entry, reporting every module's errors together, as make -k would. */
async function compileAll(entries: readonly string[], intree: boolean): Promise<ModuleObject[]> {
  const settled = await Promise.allSettled(entries.map((e) => compileModule(e, intree)));
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  for (const e of failed) if (!(e instanceof BuildError)) throw e;
  if (failed.length > 0) throw new BuildError(failed.map((e) => (e as BuildError).message).join("\n"));
  return settled.map((s) => (s as PromiseFulfilledResult<ModuleObject>).value);
}

/** Build the given in-tree module sources (default: all of them) into outDir. */
export async function buildTree(entries = treeModules(), outDir = BUILD_DIR): Promise<string[]> {
  const results = link(await compileAll(entries, true));
  mkdirSync(outDir, { recursive: true });
  for (const r of results) writeFileSync(join(outDir, `${r.name}.wasm`), r.binary);
  return results.map((r) => join(outDir, `${r.name}.wasm`));
}

export interface BuildOptions {
  /** A directory for the NAME.wasm files, or with one source the file itself (NAME.wasm); default: beside each source. */
  readonly output?: string;
  /** KBUILD_EXTRA_SYMBOLS: other modules (.wasm files, or directories of them) whose exports these may use. */
  readonly extraSymbols?: readonly string[];
}

/** Where each source's module goes. */
function outputPaths(entries: readonly string[], output: string | undefined): string[] {
  const beside = (e: string) => join(dirname(resolve(e)), `${moduleName(e)}.wasm`);
  if (output === undefined) return entries.map(beside);
  const isDir = existsSync(output) ? statSync(output).isDirectory() : !output.endsWith(".wasm");
  if (isDir) return entries.map((e) => join(resolve(output), `${moduleName(e)}.wasm`));
  if (entries.length !== 1) throw new BuildError(`wasm-lkm build: -o ${output}: a file takes one source; give a directory for ${entries.length}`);
  return [resolve(output)];
}

/**
 * Build modules outside the tree (make M=dir) against the built tree's exports and any extra symbols;
 * symbols the given modules export to each other resolve among them. Returns the paths written.
 */
export async function buildModules(entries: readonly string[], opts: BuildOptions = {}): Promise<string[]> {
  const outputs = outputPaths(entries, opts.output);
  let owners: SymbolOwners;
  try {
    owners = new Map([...builtSymbolOwners(BUILD_DIR), ...extraSymbolOwners(opts.extraSymbols ?? [])]);
  } catch (e) {
    if (!(e instanceof ModpostError)) throw e;
    throw new BuildError(e.message);
  }
  const results = link(await compileAll(entries, false), owners);
  results.forEach((r, i) => {
    mkdirSync(dirname(outputs[i]!), { recursive: true });
    writeFileSync(outputs[i]!, r.binary);
  });
  return outputs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const built = await buildTree();
    console.error(`  MODPOST ${built.length} modules`);
    for (const path of built) console.error(`  LD [M]  ${relative(ROOT, path)}`);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}
