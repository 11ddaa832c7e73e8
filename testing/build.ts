// Modules for a test: built from AssemblyScript sources against the tree (Kbuild's M=), or read from files.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

/** Build one module source (NAME.ts) to its binary; modpost's warnings go to `warn`. Throws scripts/build.ts's BuildError. */
export async function buildModule(source: string, warn: (m: string) => void = () => undefined): Promise<Uint8Array> {
  const built = await resolveModules([source], warn);
  try {
    return new Uint8Array(readFileSync(built.modules[0]!));
  } finally {
    built.cleanup();
  }
}

/**
 * Modules as a command or a test names them: .ts sources built into a scratch directory (which `cleanup`
 * removes), .wasm files by their absolute path, module names as they are (modprobe finds those).
 */
export async function resolveModules(targets: readonly string[], warn: (m: string) => void): Promise<{ modules: string[]; cleanup: () => void }> {
  const asGiven = (t: string) => (t.endsWith(".wasm") ? resolve(t) : t);
  if (!targets.some((t) => t.endsWith(".ts"))) return { modules: targets.map(asGiven), cleanup: () => undefined };
  const { buildExternal } = await import("../scripts/build.js");
  const dir = mkdtempSync(join(tmpdir(), "wasm-lkm-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const modules: string[] = [];
    for (const t of targets) {
      modules.push(t.endsWith(".ts") ? await buildExternal(t, join(dir, `${basename(t, ".ts").replace(/-/g, "_")}.wasm`), warn) : asGiven(t));
    }
    return { modules, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
