// kmod 34's testsuite/test-depmod.c, each scenario on its rootfs-pristine fixture laid out with this
// tree's modules (.wasm where kmod's are .ko), run through the depmod command; expected files and
// output are kmod's own. Then depmod cases the issue found kmod and wasm-lkm apart on.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliSession, scratchDir } from "../helpers.js";
import { layout, playground } from "./playground.js";

const scratch = scratchDir("kmod34-depmod");
afterAll(() => scratch.cleanup());

let simple: Uint8Array;
let weakdep: Uint8Array;
let fake: ReadonlyMap<string, Uint8Array>;
let loops: ReadonlyMap<string, Uint8Array>;
beforeAll(async () => {
  simple = (await playground("simple")).get("mod_simple")!;
  weakdep = (await playground("weakdep")).get("mod_weakdep")!;
  fake = await playground("fake");
  loops = await playground("loops");
}, 600_000);

let n = 0;
/** A fresh rootfs with these files under it; its path. */
function rootfs(files: Readonly<Record<string, Uint8Array | string>>): string {
  const root = join(scratch.dir, `rootfs${n++}`);
  layout(root, files);
  return root;
}

/** Run one depmod command line; what it printed and its status. */
function depmod(line: string): { out: string; err: string; status: number } {
  const { s, out, err } = cliSession();
  const status = s.exec(line);
  return { out: out.join(""), err: err.join(""), status };
}

const read = (path: string) => readFileSync(path, "utf8");
const M = "lib/modules/4.4.4";

/** The three fake SCSI drivers at the paths kmod's fixture has them, with its modules.order (.wasm for .ko). */
function scsiRootfs(order = true): string {
  return rootfs({
    [`${M}/kernel/drivers/block/cciss.wasm`]: fake.get("mod_fake_cciss")!,
    [`${M}/kernel/drivers/scsi/hpsa.wasm`]: fake.get("mod_fake_hpsa")!,
    [`${M}/kernel/drivers/scsi/scsi_mod.wasm`]: fake.get("mod_fake_scsi_mod")!,
    ...(order ? { [`${M}/modules.order`]: "#336\nkernel/drivers/block/cciss.wasm\n#2094\nkernel/drivers/scsi/scsi_mod.wasm\n#2137\nkernel/drivers/scsi/hpsa.wasm\n\n" } : {}),
  });
}

/** test-depmod/modules-outdir/correct-modules.alias (and modules-order-compressed's): cciss's 20, then hpsa's 16. */
function scsiAliases(): string {
  const names = (m: string) => new TextDecoder().decode(fake.get(m)!).match(/alias=[^\0]+/g)!.map((a) => a.slice(6));
  return `# Aliases extracted from modules themselves.\n${[...names("mod_fake_cciss").map((a) => `alias ${a} cciss\n`), ...names("mod_fake_hpsa").map((a) => `alias ${a} hpsa\n`)].join("")}`;
}

describe("test-depmod.c", () => {
  it("depmod_modules_order_for_compressed: modules.alias follows modules.order (compression aside)", () => {
    const root = scsiRootfs();
    expect(depmod(`depmod -b ${root} 4.4.4`)).toEqual({ out: "", err: "", status: 0 });
    const alias = read(join(root, M, "modules.alias"));
    expect(alias).toBe(scsiAliases());
    expect(alias.split("\n")[1]).toBe("alias pci:v0000103Cd00003230sv0000103Csd0000323Dbc*sc*i* cciss");
    expect(alias.split("\n")[21]).toBe("alias pci:v0000103Cd*sv*sd*bc01sc04i* hpsa");
  });

  it("depmod_modules_outdir: -o writes the index under OUTDIR, and nothing where the modules are", () => {
    const root = scsiRootfs();
    expect(depmod(`depmod -b ${root} -o ${join(root, "outdir")} 4.4.4`).status).toBe(0);
    const out = join(root, "outdir", M);
    expect(read(join(out, "modules.dep"))).toBe(
      "kernel/drivers/block/cciss.wasm:\nkernel/drivers/scsi/scsi_mod.wasm:\nkernel/drivers/scsi/hpsa.wasm: kernel/drivers/scsi/scsi_mod.wasm\n",
    );
    expect(read(join(out, "modules.alias"))).toBe(scsiAliases());
    expect(existsSync(join(root, M, "modules.dep"))).toBe(false);
  });

  it("depmod_search_order_simple: `search updates built-in` takes updates/ over kernel/", () => {
    const root = rootfs({
      [`${M}/kernel/crypto/mod-simple.wasm`]: simple, [`${M}/updates/mod-simple.wasm`]: simple, "etc/depmod.d/search.conf": "search updates built-in\n",
    });
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe("updates/mod-simple.wasm:\n");
  });

  it("depmod_another_moddir and _relative: -m names the module directory under the base, / or not", () => {
    const root = rootfs({ "foobar/4.4.4/kernel/mod-simple.wasm": simple, "foobar2/4.4.4/kernel/mod-simple.wasm": simple });
    expect(depmod(`depmod -b ${root} -m /foobar 4.4.4`).status).toBe(0);
    expect(read(join(root, "foobar/4.4.4/modules.dep"))).toBe("kernel/mod-simple.wasm:\n");
    expect(depmod(`depmod -b ${root} -m foobar2 4.4.4`).status).toBe(0);
    expect(read(join(root, "foobar2/4.4.4/modules.dep"))).toBe("kernel/mod-simple.wasm:\n");
  });

  it("depmod_search_order_same_prefix: foobar/ is not under foo/", () => {
    const root = rootfs({
      [`${M}/foo/mod-simple.wasm`]: simple, [`${M}/foobar/mod-simple.wasm`]: simple, "etc/depmod.d/search.conf": "search foobar foo built-in\n",
    });
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe("foobar/mod-simple.wasm:\n");
  });

  it("depmod_detect_loop: each cycle as kmod walks them, then the count, and no index", () => {
    const files = Object.fromEntries([...loops].map(([name, bin]) => [`${M}/kernel/${name.replace(/_/g, "-")}.wasm`, bin]));
    const root = rootfs({ ...files, [`${M}/modules.order`]: "" });
    expect(depmod(`depmod -b ${root} 4.4.4`)).toEqual({
      out: "",
      err:
        "depmod: ERROR: Cycle detected: mod_loop_d -> mod_loop_e -> mod_loop_d\n" +
        "depmod: ERROR: Cycle detected: mod_loop_i -> mod_loop_j -> mod_loop_k -> mod_loop_h -> mod_loop_i\n" +
        "depmod: ERROR: Cycle detected: mod_loop_i -> mod_loop_j -> mod_loop_h -> mod_loop_i\n" +
        "depmod: ERROR: Cycle detected: mod_loop_c -> mod_loop_a -> mod_loop_b -> mod_loop_c\n" +
        "depmod: ERROR: Found 9 modules in dependency cycles!\n",
      status: 1,
    });
    expect(existsSync(join(root, M, "modules.dep"))).toBe(false);
  });

  /** search-order-external-*: copies in foo/, foobar/ and an external directory. */
  function externalRootfs(search: string): string {
    const root = rootfs({ [`${M}/foo/mod-simple.wasm`]: simple, [`${M}/foobar/mod-simple.wasm`]: simple, "lib/modules/external/mod-simple.wasm": simple });
    layout(root, { "etc/depmod.d/external.conf": `external 4\\.4\\..* ${join(root, "lib/modules/external")}\n`, "etc/depmod.d/search.conf": `search ${search}\n` });
    return root;
  }

  it("depmod_search_order_external_first: `search external ...` takes the external directory's, by its absolute path", () => {
    const root = externalRootfs("external foobar foo built-in");
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe(`${join(root, "lib/modules/external")}/mod-simple.wasm:\n`);
  });

  it("depmod_search_order_external_last: `search ... external` takes foobar/'s", () => {
    const root = externalRootfs("foobar foo built-in external");
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe("foobar/mod-simple.wasm:\n");
  });

  it("depmod_search_order_override: `override MODULE VERSION DIR` wins over any search", () => {
    const root = rootfs({
      [`${M}/foo/mod-simple.wasm`]: simple, [`${M}/override/mod-simple.wasm`]: simple,
      "etc/depmod.d/override.conf": "override mod-simple 4.4.4 override\n", "etc/depmod.d/search.conf": "search foo built-in\n",
    });
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe("override/mod-simple.wasm:\n");
  });

  it("depmod_check_weakdep: MODULE_WEAKDEP goes to modules.weakdep", () => {
    const root = rootfs({ [`${M}/kernel/mod-weakdep.wasm`]: weakdep, [`${M}/kernel/mod-simple.wasm`]: simple });
    expect(depmod(`depmod -b ${root} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.weakdep"))).toBe("# Weak dependencies extracted from modules themselves.\nweakdep mod_weakdep mod-simple\n");
  });
});

describe("depmod beyond kmod's testsuite", () => {
  it("without modules.order lists modules in the order of kmod's table of names, symbols in that of its table of symbols", () => {
    const root = scsiRootfs(false);
    expect(depmod(`depmod -b ${root} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe(
      "kernel/drivers/scsi/scsi_mod.wasm:\nkernel/drivers/scsi/hpsa.wasm: kernel/drivers/scsi/scsi_mod.wasm\nkernel/drivers/block/cciss.wasm:\n",
    );
    expect(read(join(root, M, "modules.symbols"))).toBe("# Aliases for symbols, used by symbol_request().\nalias symbol:dummy_export scsi_mod\n");
  });

  it("keeps updates/ over kernel/ with no depmod.d at all (`search updates`), and a tie to the copy found first", () => {
    const root = rootfs({ [`${M}/kernel/a/mod-simple.wasm`]: simple, [`${M}/kernel/b/mod-simple.wasm`]: simple, [`${M}/updates/mod-simple.wasm`]: simple });
    expect(depmod(`depmod -b ${root} -C ${join(root, "none")} 4.4.4`).status).toBe(0);
    expect(read(join(root, M, "modules.dep"))).toBe("updates/mod-simple.wasm:\n");
    const tie = rootfs({ [`${M}/kernel/a/mod-simple.wasm`]: simple, [`${M}/kernel/b/mod-simple.wasm`]: simple });
    expect(depmod(`depmod -b ${tie} -C ${join(tie, "none")} 4.4.4`).status).toBe(0);
    expect(read(join(tie, M, "modules.dep"))).toBe("kernel/a/mod-simple.wasm:\n");
  });

  it("does not enter `exclude`d directories, nor build/ and source/; names a bad depmod.d line", () => {
    const root = rootfs({
      [`${M}/kernel/mod-simple.wasm`]: simple, [`${M}/skip/mod-weakdep.wasm`]: weakdep, [`${M}/build/x/mod-foo.wasm`]: weakdep,
      "etc/depmod.d/x.conf": "exclude skip\nfrobnicate\noverride mod-simple\n",
    });
    const conf = join(root, "etc/depmod.d/x.conf");
    expect(depmod(`depmod -b ${root} -C ${join(root, "etc/depmod.d")} 4.4.4`)).toEqual({
      out: "",
      err: `depmod: ERROR: ${conf}:2: ignoring bad line starting with 'frobnicate'\ndepmod: ERROR: ${conf}:3: ignoring bad line starting with 'override'\n`,
      status: 0,
    });
    expect(read(join(root, M, "modules.dep"))).toBe("kernel/mod-simple.wasm:\n");
  });

  it("orders by a modules.order only when every line ends in a newline", () => {
    const root = scsiRootfs(false);
    layout(root, { [`${M}/modules.order`]: "kernel/drivers/block/cciss.wasm\nkernel/drivers/scsi/hpsa.wasm" });
    expect(depmod(`depmod -b ${root} 4.4.4`).err).toBe(`depmod: ERROR: ${join(root, M)}/modules.order:2 corrupted line misses '\\n'\n`);
    expect(read(join(root, M, "modules.dep")).split("\n")[0]).toBe("kernel/drivers/scsi/scsi_mod.wasm:");
  });

  it("prints every index file with -n, writes none, and with -v each dependency as it finds it", () => {
    const root = scsiRootfs();
    const r = depmod(`depmod -b ${root} -n 4.4.4`);
    expect(r.out).toBe(
      "kernel/drivers/block/cciss.wasm:\nkernel/drivers/scsi/scsi_mod.wasm:\nkernel/drivers/scsi/hpsa.wasm: kernel/drivers/scsi/scsi_mod.wasm\n" +
        scsiAliases() +
        "# Soft dependencies extracted from modules themselves.\n# Weak dependencies extracted from modules themselves.\n" +
        "# Aliases for symbols, used by symbol_request().\nalias symbol:dummy_export scsi_mod\n",
    );
    expect(existsSync(join(root, M, "modules.dep"))).toBe(false);
    const k = join(root, M, "kernel/drivers/scsi");
    expect(depmod(`depmod -b ${root} -v 4.4.4`).out).toBe(`${k}/hpsa.wasm needs "dummy_export": ${k}/scsi_mod.wasm\n`);
  });

  it("warns about a symbol no module exports only with -e", () => {
    const root = rootfs({ [`${M}/kernel/drivers/scsi/hpsa.wasm`]: fake.get("mod_fake_hpsa")! });
    expect(depmod(`depmod -b ${root} 4.4.4`).err).toBe("");
    expect(depmod(`depmod -b ${root} -e 4.4.4`).err).toBe(`depmod: WARNING: ${join(root, M)}/kernel/drivers/scsi/hpsa.wasm needs unknown symbol dummy_export\n`);
  });

  it("refuses a version that is not one", () => {
    expect(depmod("depmod -b /nonexistent four")).toEqual({ out: "", err: "depmod: ERROR: Bad version passed four\n", status: 1 });
  });
});
