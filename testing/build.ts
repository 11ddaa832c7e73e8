// Modules for a test: built from AssemblyScript sources against the tree (Kbuild's M=), or read from files.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Build one module source (NAME.ts) to its binary. Throws scripts/build.ts's BuildError with modpost's errors. */
export async function buildModule(source: string): Promise<Uint8Array> {
  const built = await resolveModules([source]);
  try {
    return new Uint8Array(readFileSync(built.modules[0]!));
  } finally {
    built.cleanup();
  }
}

/**
 * Modules as a command or a test names them: .ts sources built together into a scratch directory (which
 * `cleanup` removes; their exports resolve among them), .wasm files by their absolute path, module names as
 * they are (modprobe finds those).
 */
export async function resolveModules(targets: readonly string[]): Promise<{ modules: string[]; cleanup: () => void }> {
  const sources = targets.filter((t) => t.endsWith(".ts"));
  const asGiven = (t: string) => (t.endsWith(".wasm") ? resolve(t) : t);
  if (sources.length === 0) return { modules: targets.map(asGiven), cleanup: () => undefined };
  const { buildModules } = await import("../scripts/build.js");
  const dir = mkdtempSync(join(tmpdir(), "wasm-lkm-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const built = await buildModules(sources, { output: dir });
    const modules = targets.map((t) => (t.endsWith(".ts") ? built[sources.indexOf(t)]! : asGiven(t)));
    return { modules, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
