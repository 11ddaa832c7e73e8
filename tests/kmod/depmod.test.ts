// depmod: the module directory's index files in kmod's formats, dependencies found from symbols.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UTS_RELEASE } from "../../abi/version.js";
import { DEFAULT_DEPMOD_CONFIG, depmod, depmodFiles, findModule, indexModule, releaseDir, searchModules, type ModuleIndexEntry } from "../../host/kmod/depmod.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { cliSession, rewriteModinfo, scratchDir, setModinfo } from "../helpers.js";

const scratch = scratchDir("depmod");
let dir: string;

beforeAll(() => {
  dir = releaseDir(scratch.dir);
  mkdirSync(join(dir, "kernel", "misc"), { recursive: true });
  for (const m of ["counter", "counter_user", "hello"]) copyFileSync(join(BUILD_DIR, `${m}.wasm`), join(dir, "kernel", `${m}.wasm`));
  for (const m of ["memdev", "ramfs"]) copyFileSync(join(BUILD_DIR, `${m}.wasm`), join(dir, "kernel", "misc", `${m}.wasm`));
});

afterAll(() => scratch.cleanup());

const read = (f: string) => readFileSync(join(dir, f), "utf8");
const entry = (path: string, needs: string[], exports: string[]): ModuleIndexEntry =>
  ({ path, name: path.replace(/\.wasm$/, ""), needs, exports, aliases: [], softdeps: [], weakdeps: [] });

describe("depmod", () => {
  it("puts the release directory at lib/modules/<release>", () => {
    expect(releaseDir("/b")).toBe(`/b/lib/modules/${UTS_RELEASE}`);
  });

  it("writes modules.dep with each module's dependencies found from the symbols it binds, in kmod's hash order", () => {
    depmod(dir);
    expect(read("modules.dep")).toBe(
      "kernel/counter.wasm:\nkernel/hello.wasm:\nkernel/misc/memdev.wasm:\nkernel/misc/ramfs.wasm:\n" +
        "kernel/counter_user.wasm: kernel/counter.wasm\n",
    );
  });

  it("writes modules.alias, modules.symbols and modules.softdep with kmod's headers", () => {
    depmod(dir);
    expect(read("modules.alias")).toBe("# Aliases extracted from modules themselves.\nalias char-major-1-* memdev\nalias fs-ramfs ramfs\n");
    expect(read("modules.symbols")).toBe(
      "# Aliases for symbols, used by symbol_request().\nalias symbol:counter_get counter\n" +
        "alias symbol:counter_add counter\nalias symbol:counter_reset counter\n",
    );
    expect(read("modules.softdep")).toBe("# Soft dependencies extracted from modules themselves.\n");
    expect(read("modules.weakdep")).toBe("# Weak dependencies extracted from modules themselves.\n");
    expect(read("modules.devname")).toBe("");
  });

  it("lists dependencies transitively, nearest first (kmod's order), and warns about a symbol nobody exports with -e", () => {
    const warnings: string[] = [];
    const mods = [entry("c.wasm", ["b1", "ghost"], []), entry("b.wasm", ["a1"], ["b1"]), entry("a.wasm", [], ["a1"]), entry("z.wasm", ["a1"], [])];
    const files = depmodFiles(mods, "/m", { printUnknown: true, log: (_p, _fn, w) => warnings.push(w) });
    expect(files["modules.dep"]).toBe("c.wasm: b.wasm a.wasm\nb.wasm: a.wasm\na.wasm:\nz.wasm: a.wasm\n");
    expect(warnings).toEqual(["/m/c.wasm needs unknown symbol ghost"]);
    depmodFiles(mods, "/m", { log: (_p, _fn, w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
  });

  it("orders a diamond so that every module comes before what it needs", () => {
    const files = depmodFiles([
      entry("top.wasm", ["l1", "r1"], []), entry("left.wasm", ["b1"], ["l1"]), entry("right.wasm", ["b1", "l1"], ["r1"]),
      entry("base.wasm", [], ["b1"]),
    ], "/m");
    expect(files["modules.dep"]!.split("\n")[0]).toBe("top.wasm: right.wasm left.wasm base.wasm");
  });

  it("refuses modules that depend on each other, naming the cycle", () => {
    const warnings: string[] = [];
    const mods = [entry("a.wasm", ["b1"], ["a1"]), entry("b.wasm", ["a1"], ["b1"]), entry("c.wasm", [], [])];
    expect(() => depmodFiles(mods, "/m", { log: (_p, _fn, w) => warnings.push(w) })).toThrow(/dependency cycles/);
    expect(warnings).toEqual(["Cycle detected: a -> b -> a", "Found 2 modules in dependency cycles!"]);
  });

  it("finds a module by name from modules.dep, '-' and '_' alike", () => {
    depmod(dir);
    expect(findModule(dir, "counter_user")).toBe(join(dir, "kernel/counter_user.wasm"));
    expect(findModule(dir, "memdev")).toBe(join(dir, "kernel/misc/memdev.wasm"));
    expect(findModule(dir, "nope")).toBeUndefined();
    expect(findModule(join(dir, "missing"), "hello")).toBeUndefined();
  });
});

describe("depmod of hostile module files", () => {
  it("skips a module whose name no module could have, an alias that would break its line, and a FIFO", () => {
    const hostile = releaseDir(join(scratch.dir, "hostile"));
    mkdirSync(hostile, { recursive: true });
    const counter = readFileSync(join(BUILD_DIR, "counter.wasm"));
    writeFileSync(join(hostile, "evil.wasm"), setModinfo(counter, "name", "evil\nkernel/x.wasm"));
    writeFileSync(join(hostile, "aliased.wasm"), rewriteModinfo(setModinfo(counter, "name", "aliased"), (es) => [...es, ["alias", "a\nalias fs-ext2 aliased"], ["alias", "ok-alias"]]));
    execFileSync("mkfifo", [join(hostile, "fifo.wasm")]);
    expect(indexModule(hostile, join(hostile, "evil.wasm"))).toBeNull();
    expect(searchModules(hostile, DEFAULT_DEPMOD_CONFIG).map((m) => [m.name, m.aliases])).toEqual([["aliased", ["ok-alias"]]]);
  });
});

describe("the depmod command", () => {
  it("writes the index under -b, or prints modules.dep with -n", () => {
    rmSync(join(dir, "modules.dep"), { force: true });
    const { s, out, err } = cliSession();
    expect(s.exec(`depmod -b ${scratch.dir} -n`)).toBe(0);
    expect(out.join("")).toContain("kernel/counter_user.wasm: kernel/counter.wasm\n");
    expect(() => read("modules.dep")).toThrow();
    expect(s.exec(`depmod -b ${scratch.dir}`)).toBe(0);
    expect(read("modules.dep")).toContain("kernel/hello.wasm:\n");
    expect(err).toEqual([]);
  });

  it("says when there is no module directory", () => {
    const { s, err } = cliSession();
    expect(s.exec(`depmod -b ${join(scratch.dir, "none")}`)).toBe(1);
    expect(err.join("")).toBe(
      `depmod: ERROR: could not open directory ${releaseDir(join(scratch.dir, "none"))}: No such file or directory\n` +
        "depmod: FATAL: could not search modules: No such file or directory\n",
    );
  });

  it("lets modinfo find a module by name in the installed directory", () => {
    const { s, out } = cliSession();
    expect(s.exec("modinfo -F filename counter_user")).toBe(0);
    expect(out.join("")).toBe(`${join(releaseDir(join(BUILD_DIR, "..", "..")), "kernel", "counter_user.wasm")}\n`);
  });
});
