// Shared test helpers: module binaries, section rewriting, kernel-state snapshots and dmesg.

import { mkdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { decodeModinfo, decodeNamedU32, encodeModinfo, encodeNamedU32, SECTION_MODINFO, type ModinfoEntry, type NamedU32 } from "../abi/module.js";
import { customSections, encodeSections, readSections, type Section } from "../abi/wasm.js";
import { Session } from "../host/cli/session.js";
import { Kernel } from "../host/init/main.js";
import type { Module } from "../host/module/internal.js";
import type { Libc } from "../host/user/nolibc.js";
import { compileModule } from "../scripts/build.js";
import { modpost } from "../scripts/mod/modpost.js";
import { writeModuleSource } from "../scripts/mod/source.js";
import { BUILD_DIR, ROOT } from "../scripts/paths.js";
import { expectRefused } from "../testing/errno.js";

/** A built module binary from build/modules (run `npm run build` first). */
export function loadBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(BUILD_DIR, `${name}.wasm`)));
}

/** Rewrite a binary's sections; the edit gets a copy of the list it may change. */
export function rewriteSections(bytes: Uint8Array, edit: (sections: Section[]) => Section[]): Uint8Array {
  return encodeSections(edit(readSections(bytes)));
}

/** Drop every custom section of that name. */
export function dropSection(bytes: Uint8Array, name: string): Uint8Array {
  return rewriteSections(bytes, (ss) => ss.filter((s) => !(s.id === 0 && s.name === name)));
}

/** Replace one custom section's payload in place (it must exist exactly once). */
export function replaceSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  let found = 0;
  const out = rewriteSections(bytes, (ss) =>
    ss.map((s) => {
      if (s.id !== 0 || s.name !== name) return s;
      found++;
      return { id: 0, name, payload };
    }),
  );
  if (found !== 1) throw new Error(`replaceSection: ${found} sections named ${name}`);
  return out;
}

export function readModinfo(bytes: Uint8Array): ModinfoEntry[] {
  const [payload] = customSections(readSections(bytes), SECTION_MODINFO);
  const entries = payload ? decodeModinfo(payload) : null;
  if (!entries) throw new Error("readModinfo: no .modinfo");
  return entries;
}

/** Rewrite .modinfo: the edit gets the entries and returns the new ones. */
export function rewriteModinfo(bytes: Uint8Array, edit: (entries: ModinfoEntry[]) => ModinfoEntry[]): Uint8Array {
  return replaceSection(bytes, SECTION_MODINFO, encodeModinfo(edit(readModinfo(bytes))));
}

/** Set (or add) a .modinfo key. */
export function setModinfo(bytes: Uint8Array, key: string, value: string): Uint8Array {
  return rewriteModinfo(bytes, (es) => {
    const out: ModinfoEntry[] = es.map(([k, v]) => (k === key ? [k, value] : [k, v]));
    if (!es.some(([k]) => k === key)) out.push([key, value]);
    return out;
  });
}

/** Remove a .modinfo key. */
export function removeModinfo(bytes: Uint8Array, key: string): Uint8Array {
  return rewriteModinfo(bytes, (es) => es.filter(([k]) => k !== key));
}

/** The records of a __versions/__ksymtab/__param section ([] when absent). */
export function readRecords(bytes: Uint8Array, name: string): NamedU32[] {
  const [payload] = customSections(readSections(bytes), name);
  if (!payload) return [];
  const records = decodeNamedU32(payload);
  if (!records) throw new Error(`readRecords: malformed ${name}`);
  return records;
}

export function rewriteRecords(bytes: Uint8Array, name: string, edit: (records: NamedU32[]) => NamedU32[]): Uint8Array {
  return replaceSection(bytes, name, encodeNamedU32(edit(readRecords(bytes, name))));
}

/** A command session on a kernel (a fresh one by default), with what it prints to stdout and stderr. */
export function cliSession(k: Kernel = new Kernel()): { s: Session; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const s = new Session(k, (t) => void out.push(t), (t) => void err.push(t));
  return { s, out, err };
}

/** A module record that stands for an owner where a test drives a subsystem directly, with no module code. */
export function ownerModule(name: string): Module {
  return { name } as Module;
}

export interface CliResult {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

/**
 * A command session on k, run a line at a time: each gives its status and what it printed. Awaited, so
 * that a command which waits is waited for.
 */
export function cliRunner(k: Kernel): (line: string) => Promise<CliResult> {
  const { s, out, err } = cliSession(k);
  return async (line) => {
    out.length = err.length = 0;
    const status = await s.execAsync(line);
    return { status, out: out.join(""), err: err.join("") };
  };
}

/** The dmesg texts, oldest first. */
export function dmesg(k: Kernel): string[] {
  return k.log.read().map((r) => r.text);
}

export { expectErrno, expectRefused } from "../testing/errno.js";

/**
 * Insmod a fixture whose init_module oopses, with hello loaded beside it: refused with EFAULT ("NAME: Oops in
 * init_module") and kernel state as before. Returns what the load logged.
 */
export function insmodOops(k: Kernel, name: string, bytes: Uint8Array, args: string): string[] {
  k.insmod(loadBytes("hello"));
  k.log.clear();
  expectRefused(k, () => k.insmod(bytes, { args }), "EFAULT", `${name}: Oops in init_module`);
  return dmesg(k);
}

/** The KTAP result lines of a module's KUnit cases ("    ok 1 name"), in order. */
export function kunitCaseResults(k: Kernel): string[] {
  return dmesg(k).filter((l) => /^\s+(not )?ok /.test(l));
}

/** A scratch folder inside the repository (compileModule resolves paths against ROOT), removed by cleanup(). */
export function scratchDir(tag: string): { dir: string; cleanup: () => void } {
  const parent = join(ROOT, "build", "tmp-tests");
  const dir = join(parent, `${tag}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(parent);
    } catch {
      // another test file's scratch folder is still there
    }
  };
  return { dir, cleanup };
}

export { snapshot, type Snapshot } from "../scripts/fuzz/snapshot.js";
export { writeModuleSource };

/**
 * Fixture modules compiled from inline AssemblyScript (name → source) once before the file's tests, in a
 * scratch folder removed after them. The map is filled by the time the tests run.
 */
export function moduleFixtures(tag: string, sources: Readonly<Record<string, string>>): ReadonlyMap<string, Uint8Array> {
  const fixtures = new Map<string, Uint8Array>();
  const scratch = scratchDir(tag);
  beforeAll(async () => {
    const objs = [];
    for (const [name, source] of Object.entries(sources)) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
    for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
  });
  afterAll(() => scratch.cleanup());
  return fixtures;
}


/** A task that drops from root to uid and gid (and groups) in every field, as `setpriv --reuid --regid` does. */
export function dropTo(libc: Libc, uid: number, gid: number, groups: readonly number[] = []): Libc {
  libc.setgroups(groups);
  libc.setresgid(gid, gid, gid);
  libc.setresuid(uid, uid, uid);
  return libc;
}
