// kmod 34's testsuite/test-modinfo.c on its rootfs-pristine/test-modinfo fixture: modinfo -F of each
// field of mod-simple, and of a module modules.dep keeps outside the module directory. (The signature
// fields and built-in modules cannot apply: see docs/kmod.md.)

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERMAGIC } from "../../abi/version.js";
import { cliSession, rewriteModinfo, scratchDir } from "../helpers.js";
import { layout, playground } from "./playground.js";
import { kmodRootfs, type Rootfs } from "./kmod34_rootfs.js";

const scratch = scratchDir("kmod34-modinfo");
afterAll(() => scratch.cleanup());

let r: Rootfs;
beforeAll(async () => {
  const simple = (await playground("simple")).get("mod_simple")!;
  r = kmodRootfs(scratch.dir, { "mod-simple.wasm": simple, "lib/modules/external/mod-simple.wasm": simple });
  layout(r.root, { "lib/modules/4.4.4/modules.dep": r.path("/lib/modules/external/mod-simple.ko:\n") });
}, 600_000);

describe("test-modinfo.c", () => {
  /** correct-FIELD.txt: kmod's output of modinfo -F FIELD /mod-simple.ko. */
  const fields: [string, string][] = [
    ["filename", "/mod-simple.ko\n"],
    ["author", "Lucas De Marchi <lucas.demarchi@intel.com>\n"],
    // kmod's fixture has one more blank line, which its comparison (as long as what modinfo printed) never reads.
    ["license", "GPL\n"],
    ["description", ""],
    ["parm", ""],
    ["depends", "\n"],
  ];
  for (const [field, expected] of fields) {
    it(`test_modinfo_${field}`, () => {
      expect(r.sh([`modinfo -F ${field} ${r.root}/mod-simple.wasm`])).toEqual({ out: expected.replace("/mod-simple.ko", `${r.root}/mod-simple.wasm`), err: "", status: 0 });
    });
  }

  it("test_modinfo_external: a name modules.dep finds outside the module directory (correct-external.txt)", () => {
    expect(r.sh(["modinfo -F filename mod-simple"])).toEqual({ out: r.path("/lib/modules/external/mod-simple.ko\n"), err: "", status: 0 });
  });
});

describe("modinfo beyond kmod's testsuite", () => {
  it("takes several modules, by file, name or alias, and ends each line with NUL under -0", () => {
    const { s, out } = cliSession();
    expect(s.exec(`modinfo -0 -F license hello memdev fs-ramfs ${r.root}/mod-simple.wasm`)).toBe(0);
    expect(out.join("")).toBe("GPL\0GPL\0GPL\0GPL\0");
    // Under -0 the fields are KEY=VALUE, only filename: keeping its column.
    expect(r.sh([`modinfo -0 ${r.root}/mod-simple.wasm`]).out.split("\0")).toEqual([
      `filename:       ${r.root}/mod-simple.wasm`, "author=Lucas De Marchi <lucas.demarchi@intel.com>", "license=GPL", "intree=Y", "name=mod_simple",
      `vermagic=${VERMAGIC}`, "depends=", expect.stringMatching(/^srcversion=[0-9A-F]{24}$/), "",
    ]);
  });

  it("prints a parameter that has a type and no description as kmod does, apart under -p", () => {
    const bin = rewriteModinfo(readFileSync(`${r.root}/mod-simple.wasm`), (es) => [...es, ["parmtype", "quiet:bool"], ["parm", "level:how loud"], ["parmtype", "level:int"]]);
    layout(r.root, { "parms.wasm": bin });
    expect(r.sh([`modinfo -p ${r.root}/parms.wasm`]).out).toBe("level:how loud (int)\nquiet: (bool)\n");
    expect(r.sh([`modinfo ${r.root}/parms.wasm`]).out).toMatch(/\nparm: {11}level:how loud \(int\)\nparm: {11}quiet:bool\n$/);
  });

  it("names the file with -F filename even when its .modinfo cannot be read, and says which module it could not read", () => {
    layout(r.root, { "broken.wasm": new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0]) });
    expect(r.sh([`modinfo -F filename ${r.root}/broken.wasm`]).out).toBe(`${r.root}/broken.wasm\n`);
    expect(r.sh([`modinfo ${r.root}/broken.wasm`]).err).toBe("modinfo: ERROR: could not get modinfo from 'broken': Exec format error\n");
  });

  it("takes a name only with -m, and the module directory from -b and -k", () => {
    const { s, err } = cliSession();
    expect(s.exec("modinfo -m fs-ramfs")).toBe(1);
    expect(err.join("")).toBe("modinfo: ERROR: Module name fs-ramfs not found.\n");
    const { s: s2, out } = cliSession();
    expect(s2.exec(`modinfo -b ${r.root} -k 4.4.4 -F filename mod-simple`)).toBe(0);
    expect(out.join("")).toBe(r.path("/lib/modules/external/mod-simple.ko\n"));
  });
});
