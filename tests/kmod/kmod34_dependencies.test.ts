// kmod 34's testsuite/test-dependencies.c on its rootfs-pristine/test-dependencies fixture: mod-foo
// depends on mod-foo-a, -b and -c, kept in three directories; kmod_module_get_dependencies() gives all
// three, and modprobe loads them first.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scratchDir } from "../helpers.js";
import { kmodRootfs, type Rootfs } from "./kmod34_rootfs.js";
import { playground } from "./playground.js";

const scratch = scratchDir("kmod34-dependencies");
afterAll(() => scratch.cleanup());

const M = "lib/modules/4.0.20-kmod";
let r: Rootfs;
beforeAll(async () => {
  const foo = await playground("foo");
  r = kmodRootfs(scratch.dir, {
    [`${M}/modules.dep`]:
      "kernel/fs/foo/mod-foo-b.wasm:\nkernel/mod-foo-c.wasm:\nkernel/lib/mod-foo-a.wasm:\n" +
      "kernel/fs/mod-foo.wasm: kernel/fs/foo/mod-foo-b.wasm kernel/lib/mod-foo-a.wasm kernel/mod-foo-c.wasm\n",
    [`${M}/modules.symbols`]: "# Aliases for symbols, used by symbol_request().\nalias symbol:print_fooA mod_foo_a\nalias symbol:print_fooC mod_foo_c\nalias symbol:print_fooB mod_foo_b\n",
    [`${M}/kernel/fs/foo/mod-foo-b.wasm`]: foo.get("mod_foo_b")!,
    [`${M}/kernel/mod-foo-c.wasm`]: foo.get("mod_foo_c")!,
    [`${M}/kernel/lib/mod-foo-a.wasm`]: foo.get("mod_foo_a")!,
    [`${M}/kernel/fs/mod-foo.wasm`]: foo.get("mod_foo")!,
  }, "4.0.20-kmod");
}, 600_000);

describe("test-dependencies.c", () => {
  it("test_dependencies: mod-foo's three dependencies, loaded first, modules.dep's line backwards", () => {
    const k = (p: string) => `insmod ${join(r.root, M, "kernel", p)} \n`;
    expect(r.sh(["modprobe -D mod-foo"]).out).toBe(k("mod-foo-c.wasm") + k("lib/mod-foo-a.wasm") + k("fs/foo/mod-foo-b.wasm") + k("fs/mod-foo.wasm"));
    expect(r.sh(["modprobe mod-foo"]).status).toBe(0);
    expect(r.loaded()).toEqual(["mod_foo", "mod_foo_a", "mod_foo_b", "mod_foo_c"]);
  });

  it("depmod finds the same three from the symbols mod-foo binds, in topological order, and writes kmod's modules.symbols", () => {
    const { out, status } = r.sh([`depmod -b ${r.root} -n 4.0.20-kmod`]);
    expect(status).toBe(0);
    // The fixture's line (b a c) follows the order its ELF listed the three symbols in; mod-foo here
    // binds them as its source calls them (A, B, C), which the topological sort turns into c b a.
    expect(out).toContain("kernel/fs/mod-foo.wasm: kernel/mod-foo-c.wasm kernel/fs/foo/mod-foo-b.wasm kernel/lib/mod-foo-a.wasm\n");
    expect(out).toContain("# Aliases for symbols, used by symbol_request().\nalias symbol:print_fooA mod_foo_a\nalias symbol:print_fooC mod_foo_c\nalias symbol:print_fooB mod_foo_b\n");
  });

  it("modprobe -r removes the module, then its dependencies as kmod 34 does: modules.dep's line backwards (c, a, b)", () => {
    r.sh(["modprobe mod-foo"]);
    // These modules have no exit, as kmod's C ones have none: only -f can take them out.
    expect(r.sh(["modprobe -r -f -v mod-foo"]).out).toBe("rmmod mod_foo\nrmmod mod_foo_c\nrmmod mod_foo_a\nrmmod mod_foo_b\n");
    expect(r.loaded()).toEqual([]);
  });
});
