// The npm package as a user gets it: `npm pack`, installed into empty projects in a temporary directory
// outside the checkout, without the registry (how: tests/pack_helpers.ts), then used from there as a user
// would use it: `npx wasm-lkm build` and `npx wasm-lkm run`, the library from Node, `wasm-lkm init`'s project,
// and examples/out-of-tree with its own tests.

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installOffline, linkInstall, packTarball, runCommand as run } from "./pack_helpers.js";
import { ROOT } from "../scripts/paths.js";

const SLOW = 300_000;
let tmp: string;
let tarball: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "wasm-lkm-pack-"));
  tarball = await packTarball(tmp);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A new empty project directory with a package.json naming the tarball. */
function emptyProject(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", dependencies: { "wasm-lkm": `file:${tarball}` } }));
  return dir;
}

const MODULE = `import { pr_info } from "wasm-lkm/kernel";

MODULE_LICENSE("GPL");
export let who: string = "world";
module_param(who, charp, 0o444);

export function init_module(): i32 {
  pr_info("packed: hello, %s\\n", who);
  return 0;
}

export function cleanup_module(): void {}
`;

/** Build src/packed.ts with the project's wasm-lkm and run a script that loads it, through npx. */
async function buildAndRun(project: string): Promise<void> {
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "src", "packed.ts"), MODULE);
  const build = await run(project, "npx", ["--no", "wasm-lkm", "build", "src/packed.ts", "-o", "build/"]);
  expect(build.err).toBe("");
  expect(build.out).toBe(`${join(project, "build", "packed.wasm")}\n`);
  writeFileSync(join(project, "load.lkm"), "insmod build/packed.wasm who=npm\nlsmod\ndmesg -t\nrmmod packed\n");
  const r = await run(project, "npx", ["--no", "wasm-lkm", "run", "load.lkm"]);
  expect(r.err).toBe("");
  expect(r.out).toMatch(/^Module +Size +Used by\npacked +\d+ +0\n/);
  expect(r.out).toContain("packed: loading out-of-tree module taints kernel.\npacked: hello, npm\n");
  expect(r.status).toBe(0);
}

describe("npm pack", () => {
  it("holds the built library, the header, the built modules and the docs, and no tests or sources of the host", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const f of [
      "package/kernel.ts", "package/abi/include/kernel.ts", "package/abi/include/module.d.ts", "package/abi/include/mod.ts",
      "package/asconfig.json", "package/dist/host/index.js", "package/dist/host/index.d.ts", "package/dist/host/cli/wasm-lkm.js",
      "package/dist/scripts/build.js", "package/build/modules/hello.wasm", "package/lib/modules/0.1.0-wasm-lkm/modules.dep",
      "package/docs/kernel-api.md", "package/docs/testing.md", "package/kunit.ts", "package/abi/include/kunit.ts",
      "package/abi/include/kunit_macros.ts", "package/spinlock.ts", "package/list.ts", "package/abi/include/spinlock.ts",
      "package/abi/include/list.ts", "package/mutex.ts", "package/abi/include/mutex.ts", "package/dist/testing/index.js", "package/dist/testing/index.d.ts",
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^package\/(tests|host|bench|modules)\/|\.map$|^package\/dist\/tests\//.test(f))).toEqual([]);
  });

  it(
    "installs into an empty project, whose npx wasm-lkm builds a module importing wasm-lkm/kernel and runs a script that loads it",
    async () => {
      const project = emptyProject("plain");
      await installOffline(project, tarball);
      await buildAndRun(project);
    },
    SLOW,
  );

  it(
    "gives a program the library: Kernel and buildModules from import 'wasm-lkm'",
    async () => {
      const project = emptyProject("library");
      await installOffline(project, tarball);
      mkdirSync(join(project, "src"));
      writeFileSync(join(project, "src", "packed.ts"), MODULE);
      writeFileSync(
        join(project, "main.js"),
        'import { readFileSync } from "node:fs";\nimport { buildModules, Kernel } from "wasm-lkm";\n' +
          'const [path] = await buildModules(["src/packed.ts"], { output: "build" });\nconst k = new Kernel();\n' +
          'k.insmod(readFileSync(path), { args: "who=library" });\nprocess.stdout.write(k.read("/proc/modules") + k.log.read().at(-1).text);\n',
      );
      const r = await run(project, process.execPath, ["main.js"]);
      expect(r.err).toBe("");
      expect(r.out).toMatch(/^packed \d+ 0 - Live 0x0+ \(O\)\npacked: hello, library$/);
    },
    SLOW,
  );

  it(
    "installs the same way linked from the checkout when npm's cache cannot serve it",
    async () => {
      const project = emptyProject("linked");
      linkInstall(project, tarball);
      await buildAndRun(project);
    },
    SLOW,
  );
});

describe("wasm-lkm init's project, installed from the tarball", () => {
  it(
    "passes its own test (its KUnit suite as kunit.py reports it, then vitest) and tsc's check at once",
    async () => {
      const host = emptyProject("host");
      await installOffline(host, tarball);
      const init = await run(host, "npx", ["--no", "wasm-lkm", "init", "mydev", "--type", "chrdev", "--dependency", `file:${tarball}`]);
      expect(init.err).toBe("");
      const project = join(host, "mydev");
      expect(JSON.parse(readFileSync(join(project, "package.json"), "utf8")).devDependencies["wasm-lkm"]).toBe(`file:${tarball}`);
      await installOffline(project, tarball);
      const test = await run(project, "npm", ["test"]);
      for (const c of ["takes_what_fits", "stops_at_the_end", "is_enospc_from_the_end"]) {
        expect(test.out).toMatch(new RegExp(`^\\[[\\d:]{8}\\] \\[PASSED\\] mydev_write_room_${c}$`, "m"));
      }
      expect(test.out).toMatch(/^\[[\d:]{8}\] Testing complete\. Ran 3 tests: passed: 3$/m);
      expect(test.out).toMatch(/Test Files {2}1 passed \(1\)\n +Tests {2}3 passed \(3\)/);
      expect(test.status).toBe(0);
      const check = await run(project, "npm", ["run", "--silent", "check"]);
      expect(check.out).toBe("");
      expect(check.status).toBe(0);
    },
    SLOW,
  );
});

describe("examples/out-of-tree, copied outside the checkout and installed from the tarball", () => {
  it(
    "passes its own npm test (KUnit cases, chrdev conformance, system call module checks) and wasm-lkm kunit run",
    async () => {
      const project = join(tmp, "out-of-tree");
      const local = /\/(node_modules|build|package-lock\.json)$/;
      cpSync(join(ROOT, "examples", "out-of-tree"), project, { recursive: true, filter: (src) => !local.test(src) });
      const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
      manifest.devDependencies["wasm-lkm"] = `file:${tarball}`;
      writeFileSync(join(project, "package.json"), JSON.stringify(manifest, null, 2));
      await installOffline(project, tarball);
      const test = await run(project, "npm", ["test"]);
      expect(test.out).toMatch(/Test Files {2}2 passed \(2\)\n +Tests {2}23 passed \(23\)/);
      expect(test.status).toBe(0);
      const modules = ["notes", "notes_test", "rot13", "rot13_test"].map((m) => `build/${m}.wasm`);
      const kunit = await run(project, "npx", ["--no", "wasm-lkm", "kunit", "run", ...modules]);
      expect(kunit.err).toBe("");
      expect(kunit.out).toContain("[PASSED] rot13_twice_is_identity\n");
      expect(kunit.out).toMatch(/Testing complete\. Ran 7 tests: passed: 7\n$/);
      expect(kunit.status).toBe(0);
    },
    SLOW,
  );
});
