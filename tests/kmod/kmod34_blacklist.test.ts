// kmod 34's testsuite/test-blacklist.c on its rootfs-pristine/test-blacklist fixture (blacklist floppy,
// blacklist pcspkr): of pcspkr, pcspkr2, floppy and ext4, the blacklist filter keeps pcspkr2 and ext4.
// Here the four are modules (mod-simple named so), and the filter is modprobe's -b.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDir, setModinfo } from "../helpers.js";
import { kmodRootfs, type Rootfs } from "./kmod34_rootfs.js";
import { playground } from "./playground.js";

const scratch = scratchDir("kmod34-blacklist");
afterAll(() => scratch.cleanup());

const M = "lib/modules/4.4.4";
const NAMES = ["pcspkr", "pcspkr2", "floppy", "ext4"];
let r: Rootfs;
beforeAll(async () => {
  const simple = (await playground("simple")).get("mod_simple")!;
  r = kmodRootfs(scratch.dir, {
    [`${M}/modules.dep`]: NAMES.map((m) => `kernel/${m}.wasm:\n`).join(""),
    [`${M}/modules.alias`]: "# Aliases extracted from modules themselves.\nalias beep pcspkr\n",
    "etc/modprobe.d/modprobe.conf": "blacklist floppy\nblacklist pcspkr\n",
    ...Object.fromEntries(NAMES.map((m) => [`${M}/kernel/${m}.wasm`, setModinfo(simple, "name", m)])),
  });
}, 600_000);

describe("test-blacklist.c", () => {
  it("blacklist_1: the blacklist filter leaves pcspkr2 and ext4 (modprobe -b)", () => {
    expect(r.sh([`modprobe -a -b ${NAMES.join(" ")}`])).toEqual({ out: "", err: "", status: 0 });
    expect(r.loaded()).toEqual(["ext4", "pcspkr2"]);
  });

  it("applies to a module found by an alias, not to one named, without -b", () => {
    expect(r.sh(["modprobe beep"]).status).toBe(0);
    expect(r.loaded()).toEqual(["ext4", "pcspkr2"]);
    expect(r.sh(["modprobe pcspkr"]).status).toBe(0);
    expect(r.loaded()).toEqual(["ext4", "pcspkr", "pcspkr2"]);
    expect(r.sh(["modprobe -c"]).out.startsWith("blacklist floppy\nblacklist pcspkr\n")).toBe(true);
  });
});
