// kmod 34's testsuite/test-modprobe.c (and the two modprobe tests kmod added after 34), each scenario on
// its rootfs-pristine fixture: the same index files and modprobe.d (.wasm where kmod's are .ko), this
// tree's modules in place of the playground's, a kernel whose module directory is the fixture's and
// whose command line is its proc/cmdline; run through the modprobe command. The expected outputs and
// the modules left loaded are kmod's.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession, dmesg, rewriteRecords, scratchDir, setModinfo } from "../helpers.js";
import { kmodRootfs, type Rootfs } from "./kmod34_rootfs.js";
import { layout, playground } from "./playground.js";

const scratch = scratchDir("kmod34-modprobe");
afterAll(() => scratch.cleanup());

let simple: Uint8Array;
let pair: ReadonlyMap<string, Uint8Array>;
beforeAll(async () => {
  simple = (await playground("simple")).get("mod_simple")!;
  pair = await playground("pair");
}, 600_000);

const M = "lib/modules/4.4.4";
const HEADERS = {
  [`${M}/modules.alias`]: "# Aliases extracted from modules themselves.\n",
  [`${M}/modules.softdep`]: "# Soft dependencies extracted from modules themselves.\n",
  [`${M}/modules.symbols`]: "# Aliases for symbols, used by symbol_request().\n",
};
const LOOP_SYMBOLS = { [`${M}/modules.symbols`]: "# Aliases for symbols, used by symbol_request().\nalias symbol:printB mod_loop_b\nalias symbol:printA mod_loop_a\n" };

let n = 0;
function rootfs(files: Readonly<Record<string, Uint8Array | string>>, cmdline?: string): Rootfs {
  return kmodRootfs(join(scratch.dir, `rootfs${n++}`), files, "4.4.4", cmdline);
}

/** test-modprobe/show-depends: mod-simple, and mod-loop-a using mod-loop-b. */
function showDepends(): Rootfs {
  return rootfs({
    ...HEADERS, ...LOOP_SYMBOLS,
    [`${M}/modules.dep`]: "kernel/mod-simple.wasm:\nkernel/mod-loop-b.wasm:\nkernel/mod-loop-a.wasm: kernel/mod-loop-b.wasm\n",
    [`${M}/kernel/mod-simple.wasm`]: simple, [`${M}/kernel/mod-loop-a.wasm`]: pair.get("mod_loop_a")!, [`${M}/kernel/mod-loop-b.wasm`]: pair.get("mod_loop_b")!,
  });
}

/** The loop pair with this modules.dep and modprobe.d file. */
function loopPair(conf: Record<string, string>, dep = "kernel/mod-loop-b.wasm:\nkernel/mod-loop-a.wasm: kernel/mod-loop-b.wasm\n"): Rootfs {
  return rootfs({
    ...HEADERS, ...LOOP_SYMBOLS, ...conf, [`${M}/modules.dep`]: dep,
    [`${M}/kernel/mod-loop-a.wasm`]: pair.get("mod_loop_a")!, [`${M}/kernel/mod-loop-b.wasm`]: pair.get("mod_loop_b")!, [`${M}/kernel/mod-simple.wasm`]: simple,
  });
}

/** mod-simple alone at kernel/mod-simple (force, module-param-kcmdline), with extra files. */
function simpleRootfs(bin: Uint8Array, extra: Record<string, string | Uint8Array> = {}, cmdline?: string): Rootfs {
  return rootfs({ ...HEADERS, [`${M}/modules.dep`]: "kernel/mod-simple.wasm:\n", [`${M}/kernel/mod-simple.wasm`]: bin, ...extra }, cmdline);
}

describe("test-modprobe.c", () => {
  it("modprobe_show_depends: --show-depends lists the dependency, then the module, each with kmod's trailing blank", () => {
    const r = showDepends();
    const res = r.sh(["modprobe --show-depends mod-loop-a"]);
    expect(res).toEqual({ out: r.path("insmod /lib/modules/4.4.4/kernel/mod-loop-b.ko \ninsmod /lib/modules/4.4.4/kernel/mod-loop-a.ko \n"), err: "", status: 0 });
  });

  it("modprobe_show_depends2 and _no_load: a module without dependencies, and nothing loaded", () => {
    const r = showDepends();
    expect(r.sh(["modprobe --show-depends mod-simple"]).out).toBe(r.path("insmod /lib/modules/4.4.4/kernel/mod-simple.ko \n"));
    expect(r.loaded()).toEqual([]);
  });

  it("modprobe_show_alias_to_none: an alias to a module that is nowhere shows nothing and loads nothing", () => {
    const r = simpleRootfs(simple, { "etc/modprobe.d/bogus.conf": "alias mod-simple deaddood\n" });
    expect(r.sh(["modprobe --show-depends --ignore-install --quiet mod-simple"]).out).toBe("");
    expect(r.loaded()).toEqual([]);
  });

  it("modprobe_show_exports: a module file's exported symbols with their CRCs", () => {
    const r = rootfs({ "mod-loop-a.wasm": pair.get("mod_loop_a")! });
    expect(r.sh([`modprobe --show-exports --quiet ${r.root}/mod-loop-a.wasm`]).out).toMatch(/^0x[0-9a-fA-F]+\tprintA\n$/);
  });

  it("modprobe_show_exports_module (kmod after 34): a module name is looked up in the module directory", () => {
    const r = showDepends();
    expect(r.sh(["modprobe --show-exports mod-loop-b"]).out).toMatch(/^0x[0-9a-fA-F]+\tprintB\n$/);
  });

  it("modprobe_softdep_loop: a post: softdep on a module that depends on this one loads both, once", () => {
    const r = loopPair({ "etc/modprobe.d/dumb-softdep.conf": "softdep mod-loop-b post: mod-loop-a\n" });
    expect(r.sh(["modprobe mod-loop-b"]).status).toBe(0);
    expect(r.loaded()).toEqual(["mod_loop_a", "mod_loop_b"]);
  });

  it("modprobe_weakdep_loop: weak dependencies are not loaded", () => {
    const r = loopPair(
      { "etc/modprobe.d/dumb-weakdep.conf": "weakdep mod-loop-b mod-loop-a mod-simple\n", [`${M}/modules.weakdep`]: "# Weak dependencies extracted from modules themselves.\n" },
      "kernel/mod-loop-b.wasm:\nkernel/mod-loop-a.wasm:\nkernel/mod-simple.wasm:\n",
    );
    expect(r.sh(["modprobe mod-loop-b"]).status).toBe(0);
    expect(r.loaded()).toEqual(["mod_loop_b"]);
  });

  it("modprobe_install_cmd_loop: $MODPROBE and a { ...; } group; the nested modprobe of the module asked for ends the loop", () => {
    const r = loopPair({ "etc/modprobe.d/dumb-instal-loop.conf": "install mod-loop-b $MODPROBE --ignore-install mod-loop-b && { $MODPROBE --quiet mod-loop-a ; }\n" });
    expect(r.sh(["modprobe mod-loop-a"], { MODPROBE: "/sbin/modprobe" })).toEqual({ out: "", err: "", status: 0 });
    expect(r.loaded()).toEqual(["mod_loop_a", "mod_loop_b"]);
  });

  it("modprobe_param_kcmdline_show_deps: the kernel command line's MODULE.PARAM options, kmod's blank after them", () => {
    const r = simpleRootfs(simple, {}, "initrd=\\initramfs-linux.img mod_simple.foo mod_simple.bar=1 root=/dev/sda2 rootfstype=ext4 add_efi_memmap quiet rw");
    expect(r.sh(["modprobe --show-depends mod-simple"]).out).toBe(r.path("insmod /lib/modules/4.4.4/kernel/mod-simple.ko foo bar=1 \n"));
  });

  /** module-param-kcmdline2 to 9: `modprobe -c` on a rootfs holding only proc/cmdline. */
  const END = "\n# End of configuration files. Dumping indexes now:\n\n";
  const kcmdline: [string, string, string, string][] = [
    ["2: params with no value", "psmouse.foo psmouse.bar=1 quiet rw", "options psmouse foo\noptions psmouse bar=1\n", ""],
    ["3: unrelated strings ignored", "BOOT_IMAGE=/boot/vmlinuz-3.12.12-57.g5f654cf-default initrd=\\initramfs-linux.img psmouse.foo psmouse.bar=1 root=/dev/sda2 rootfstype=ext4 add_efi_memmap quiet rw", "options psmouse foo\noptions psmouse bar=1\n", ""],
    ["4: a dot in the value", "testmodule.testparam=1.5G", "options testmodule testparam=1.5G\n", ""],
    ["5: a quoted value with a blank; quotes elsewhere ignored", 'psmouse.foo psmouse.bar=1 psmouse.foobar="test 1" psmouse."invalid option" " notamodule" "noteamodule2 " notamodule3 quiet rw', 'options psmouse foo\noptions psmouse bar=1\noptions psmouse foobar="test 1"\n', ""],
    ["6: dots elsewhere on the line", "psmouse.foo=2 ivrs_acpihid[14:00.5]=AMD0020:00 psmouse.bar=1 psmouse.zinga=test", "options psmouse foo=2\noptions psmouse bar=1\noptions psmouse zinga=test\n",
      "libkmod: ERROR: kcmdline_parse_result: Ignoring bad option on kernel command line while parsing module name: 'ivrs_acpihid[14:00'\n"],
    ["7: a value quoted after its =", 'psmouse.foo parport.dyndbg="file drivers/parport/ieee1284_ops.c +mpf" quiet rw', 'options psmouse foo\noptions parport dyndbg="file drivers/parport/ieee1284_ops.c +mpf"\n', ""],
    ["8: the whole word quoted, as grub passes it", 'psmouse.foo "parport.dyndbg=file drivers/parport/ieee1284_ops.c +mpf" quiet rw', 'options psmouse foo\noptions parport dyndbg="file drivers/parport/ieee1284_ops.c +mpf"\n', ""],
    ["9: modprobe.blacklist= several times, comma-separated", "modprobe.blacklist=foo,bar modprobe.blacklist=foo2 quiet modprobe.blacklist=bar2 rw modprobe.blacklist=foobar", "blacklist foo\nblacklist bar\nblacklist foo2\nblacklist bar2\nblacklist foobar\n", ""],
  ];
  for (const [name, cmdline, out, err] of kcmdline) {
    it(`modprobe_param_kcmdline${name}`, () => {
      const r = rootfs({}, cmdline);
      expect(r.sh(["modprobe -c"])).toEqual({ out: out + END, err, status: 0 });
    });
  }

  it("modprobe_force (and _force_vermagic, _force_modversion, added after 34): each half of -f lifts its own check, tainting F", () => {
    const badMagic = simpleRootfs(setModinfo(simple, "vermagic", "4.4.4 SMP mod_unload "));
    expect(badMagic.sh(["modprobe mod-simple"]).err).toBe("modprobe: ERROR: could not insert 'mod_simple': Exec format error\n");
    expect(badMagic.sh(["modprobe --force-modversion mod-simple"]).status).toBe(1);
    expect(badMagic.sh(["modprobe --force-vermagic mod-simple"])).toEqual({ out: "", err: "", status: 0 });
    expect(badMagic.loaded()).toEqual(["mod_simple"]);
    expect(dmesg(badMagic.k)).toContain("mod_simple: bad vermagic: kernel tainted.");
    expect(badMagic.k.taint.test("FORCED_MODULE")).toBe(true);

    const wrongCrc = rewriteRecords(simple, "__versions", (rs) => rs.map((v) => ({ name: v.name, value: v.value ^ 1 })));
    const badCrc = simpleRootfs(wrongCrc);
    expect(badCrc.sh(["modprobe mod-simple"]).err).toBe("modprobe: ERROR: could not insert 'mod_simple': Invalid argument\n");
    expect(badCrc.sh(["modprobe --force-modversion mod-simple"]).status).toBe(0);
    expect(dmesg(badCrc.k)).toContain("mod_simple: _printk: kernel tainted.");
    // The vermagic is waived (tainting the kernel, as Linux does before it meets the bad CRC), the CRC is not.
    const vermagicOnly = simpleRootfs(wrongCrc);
    expect(vermagicOnly.sh(["modprobe --force-vermagic mod-simple"]).status).toBe(1);
    expect(vermagicOnly.loaded()).toEqual([]);

    const both = simpleRootfs(setModinfo(rewriteRecords(simple, "__versions", (rs) => rs.map((v) => ({ name: v.name, value: v.value ^ 1 }))), "vermagic", "4.4.4 SMP "));
    expect(both.sh(["modprobe --force mod-simple"]).status).toBe(0);
    expect(both.loaded()).toEqual(["mod_simple"]);
  });

  it("modprobe_external: modules.dep may name a module outside the module directory", () => {
    const r = rootfs({ ...HEADERS, "lib/modules/external/mod-simple.wasm": simple });
    layout(r.root, { [`${M}/modules.dep`]: r.path("/lib/modules/external/mod-simple.ko:\n") });
    expect(r.sh(["modprobe mod-simple"]).status).toBe(0);
    expect(r.loaded()).toEqual(["mod_simple"]);
  });

  it("modprobe_module_from_abspath and _relpath: a file named by / or ./ is loaded as it is", () => {
    const abs = rootfs({ ...HEADERS, [`${M}/modules.dep`]: "", "home/foo/mod-simple.wasm": simple });
    expect(abs.sh([abs.path("modprobe /home/foo/mod-simple.ko")]).status).toBe(0);
    expect(abs.loaded()).toEqual(["mod_simple"]);
    const rel = rootfs({ ...HEADERS, [`${M}/modules.dep`]: "", "home/foo/mod-simple.wasm": simple });
    const { s } = cliSession(rel.k);
    s.hostCwd = join(rel.root, "home/foo");
    expect(s.exec("modprobe -v ./mod-simple.wasm")).toBe(0);
    expect(rel.loaded()).toEqual(["mod_simple"]);
  });
});
