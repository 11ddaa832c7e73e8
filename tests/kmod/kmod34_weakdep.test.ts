// kmod 34's testsuite/test-weakdep.c on its rootfs-pristine/test-weakdep fixture: weak dependencies from
// modprobe.d and from modules.weakdep, as libkmod gives them and as `modprobe -c` prints them (the test
// kmod 34.2 added); modprobe itself loads none of them.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../host/kmod/config.js";
import { noLog } from "../../host/kmod/log.js";
import { KmodContext } from "../../host/kmod/module.js";
import { scratchDir } from "../helpers.js";
import { kmodRootfs, type Rootfs } from "./kmod34_rootfs.js";
import { playground } from "./playground.js";

const scratch = scratchDir("kmod34-weakdep");
afterAll(() => scratch.cleanup());

const M = "lib/modules/4.4.4";
let r: Rootfs;
beforeAll(async () => {
  const pair = await playground("pair");
  r = kmodRootfs(scratch.dir, {
    [`${M}/modules.dep`]: "kernel/mod-weakdep.wasm:\nkernel/mod-simple.wasm:\nkernel/mod-loop-b.wasm:\nkernel/mod-loop-a.wasm: kernel/mod-loop-b.wasm\n",
    [`${M}/modules.alias`]: "# Aliases extracted from modules themselves.\n",
    [`${M}/modules.softdep`]: "# Soft dependencies extracted from modules themselves.\n",
    [`${M}/modules.symbols`]: "# Aliases for symbols, used by symbol_request().\nalias symbol:printB mod_loop_b\nalias symbol:printA mod_loop_a\n",
    [`${M}/modules.weakdep`]: "# Weak dependencies extracted from modules themselves.\nweakdep mod_weakdep mod-simple\n",
    "etc/modprobe.d/dumb-weakdep.conf": "weakdep mod-loop-a \t\nweakdep mod-loop-b mod-loop-a mod-simple\n",
    [`${M}/kernel/mod-weakdep.wasm`]: (await playground("weakdep")).get("mod_weakdep")!,
    [`${M}/kernel/mod-simple.wasm`]: (await playground("simple")).get("mod_simple")!,
    [`${M}/kernel/mod-loop-a.wasm`]: pair.get("mod_loop_a")!,
    [`${M}/kernel/mod-loop-b.wasm`]: pair.get("mod_loop_b")!,
  });
}, 600_000);

describe("test-weakdep.c", () => {
  it("test_weakdep: kmod_module_get_weakdeps() from modprobe.d and from modules.weakdep (correct-weakdep.txt)", () => {
    const dir = join(r.root, M);
    const ctx = new KmodContext(dir, loadConfig([join(r.root, "etc/modprobe.d")], dir, null, noLog), r.k, noLog);
    const line = (name: string) => `${name}:${ctx.weakdeps(ctx.lookup(name)[0]!).map((m) => ` ${m.name}`).join("")}\n`;
    expect(line("mod-loop-b") + line("mod-weakdep")).toBe("mod-loop-b: mod_loop_a mod_simple\nmod-weakdep: mod_simple\n");
  });

  it("modprobe_config (kmod 34.2): -c prints each weakdep line, one with no names too (modprobe-c.txt)", () => {
    expect(r.sh(["modprobe -c"])).toEqual({
      out:
        "weakdep mod_loop_a \nweakdep mod_loop_b mod-loop-a mod-simple\nweakdep mod_weakdep mod-simple\n" +
        "\n# End of configuration files. Dumping indexes now:\n\nalias symbol:printA mod_loop_a\nalias symbol:printB mod_loop_b\n",
      err: "",
      status: 0,
    });
  });

  it("modprobe neither shows nor loads weak dependencies", () => {
    expect(r.sh(["modprobe -D mod-weakdep"]).out).toBe(r.path("insmod /lib/modules/4.4.4/kernel/mod-weakdep.ko \n"));
    expect(r.sh(["modprobe mod-weakdep"]).status).toBe(0);
    expect(r.loaded()).toEqual(["mod_weakdep"]);
  });
});
