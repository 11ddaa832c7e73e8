// kmod 34's testsuite/test-modinfo.c on its rootfs-pristine/test-modinfo fixture: modinfo -F of each
// field of mod-simple, and of a module modules.dep keeps outside the module directory. (The signature
// fields and built-in modules cannot apply: see docs/kmod.md.)

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDir } from "../helpers.js";
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
