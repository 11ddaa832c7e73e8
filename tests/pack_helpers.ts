// The npm package as a user gets it: `npm pack` of this checkout, installed into a project outside it without
// the registry.
//
// How the install stays offline: npm install of a tarball wants the registry's metadata for the tarball's
// dependencies, which `npm ci` never cached; so the project gets a package-lock.json made from the tarball
// (its integrity) and this checkout's lock (each dependency's version and integrity, for the whole tree
// under the packages the project names), and `npm ci --offline` installs from npm's cache, which the
// checkout's own `npm ci` filled. Where the cache lacks something (ENOTCACHED), the install falls back to
// what npm would have made: the tarball unpacked at node_modules/wasm-lkm and every other package a link
// to this checkout's node_modules, with their commands in node_modules/.bin.

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../scripts/paths.js";

interface LockEntry {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly bin?: Record<string, string>;
  readonly [key: string]: unknown;
}

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly bin?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const checkoutLock = () => readJson<{ packages: Record<string, LockEntry> }>(join(ROOT, "package-lock.json")).packages;
const checkoutManifest = () => readJson<Manifest>(join(ROOT, "package.json"));

export interface CommandResult {
  readonly status: number | null;
  readonly out: string;
  readonly err: string;
}

/**
 * Run a program to its end without blocking (a test worker that blocks for a minute loses its link to
 * vitest); its status and output, uncoloured.
 */
export function runCommand(cwd: string, cmd: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, out, err }));
  });
}

/** `npm pack` of the checkout (already built: no scripts run) into dir; returns the tarball's path. */
export async function packTarball(dir: string): Promise<string> {
  const r = await runCommand(ROOT, "npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir]);
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.err}`);
  return join(dir, r.out.trim().split("\n").at(-1)!);
}

/** Where npm finds dependency `name` of the package at lock key `from`: the nearest node_modules up from it. */
function resolveIn(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let at = from; ; ) {
    const key = `${at ? `${at}/` : ""}node_modules/${name}`;
    if (lock[key]) return key;
    if (!at) return undefined;
    const up = at.lastIndexOf("node_modules/");
    at = up > 0 ? at.slice(0, up - 1) : "";
  }
}

/** The checkout's lock entries for these packages and everything under them (optional and peer ones it has too). */
function lockClosure(names: readonly string[]): Record<string, LockEntry> {
  const lock = checkoutLock();
  const closure: Record<string, LockEntry> = {};
  const todo = names.map((name) => ({ from: "", name }));
  for (let next = todo.pop(); next; next = todo.pop()) {
    const key = resolveIn(lock, next.from, next.name);
    if (!key || closure[key]) continue;
    const entry = lock[key]!;
    closure[key] = entry;
    for (const deps of [entry.dependencies, entry.optionalDependencies, entry.peerDependencies]) {
      for (const name of Object.keys(deps ?? {})) todo.push({ from: key, name });
    }
  }
  return closure;
}

/** The project's dependencies of either kind: name → spec. */
function projectDeps(project: string): Record<string, string> {
  const m = readJson<Manifest>(join(project, "package.json"));
  return { ...m.dependencies, ...m.devDependencies };
}

/** A package-lock.json for the project: wasm-lkm from the tarball, the rest as the checkout has them. */
function writeLock(project: string, tarball: string): void {
  const manifest = readJson<Manifest & Record<string, unknown>>(join(project, "package.json"));
  const pkg = checkoutManifest();
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  const others = Object.keys(projectDeps(project)).filter((n) => n !== pkg.name);
  const lock = {
    name: manifest.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: manifest.name, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
      [`node_modules/${pkg.name}`]: {
        version: pkg.version, resolved: `file:${tarball}`, integrity, dependencies: pkg.dependencies, bin: pkg.bin,
      },
      ...lockClosure([...others, ...Object.keys(pkg.dependencies ?? {})]),
    },
  };
  writeFileSync(join(project, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
}

/** The fallback: the tarball unpacked as npm would, every other package linked from the checkout, their commands in .bin. */
export function linkInstall(project: string, tarball: string): void {
  const pkg = checkoutManifest();
  const modules = join(project, "node_modules");
  const bin = join(modules, ".bin");
  mkdirSync(join(modules, pkg.name), { recursive: true });
  mkdirSync(bin, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", join(modules, pkg.name), "--strip-components=1"]);
  const linked = [...Object.keys(projectDeps(project)), ...Object.keys(pkg.dependencies ?? {})].filter((n) => n !== pkg.name);
  for (const name of new Set(linked)) {
    mkdirSync(join(modules, name, ".."), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
  }
  // As npm's bin-links does: a link per command, and the unpacked package's commands made executable.
  for (const file of Object.values(pkg.bin ?? {})) chmodSync(join(modules, pkg.name, file), 0o755);
  for (const name of [pkg.name, ...linked]) {
    const m = readJson<Manifest>(join(modules, name, "package.json"));
    for (const [cmd, file] of Object.entries(m.bin ?? {})) symlinkSync(join(modules, name, file), join(bin, cmd));
  }
}

/**
 * Install the project's dependencies, its wasm-lkm from the tarball, without the registry (see the file's
 * header). Returns how: "npm ci --offline", or "linked" when npm's cache could not serve it.
 */
export async function installOffline(project: string, tarball: string): Promise<"npm ci --offline" | "linked"> {
  writeLock(project, tarball);
  const npm = await runCommand(project, "npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"]);
  if (npm.status === 0) return "npm ci --offline";
  if (!npm.err.includes("ENOTCACHED")) throw new Error(`npm ci --offline failed:\n${npm.err}`);
  linkInstall(project, tarball);
  return "linked";
}
