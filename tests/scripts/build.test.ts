import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { BuildError, buildModules, ROOT } from "../../scripts/build.js";
import { readModinfo, scratchDir } from "../helpers.js";
import { runCommand } from "../pack_helpers.js";

const scratch = scratchDir("build");
afterAll(() => scratch.cleanup());

const PROVIDER = `MODULE_LICENSE("GPL");
export function prov_twice(n: i32): i32 {
  return 2 * n;
}
EXPORT_SYMBOL(prov_twice);
export function init_module(): i32 {
  return 0;
}
export function cleanup_module(): void {}
`;

const USER = `import { pr_info } from "wasm-lkm/kernel";
MODULE_LICENSE("GPL");
@external("kernel", "prov_twice")
declare function prov_twice(n: i32): i32;
export function init_module(): i32 {
  pr_info("twice 21 is %d\\n", prov_twice(21));
  return 0;
}
export function cleanup_module(): void {}
`;

/** The sources written into a folder of their own; their paths. */
function sources(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => expect.fail("built"), (err: unknown) => err);
  expect(e).toBeInstanceOf(BuildError);
  return (e as Error).message;
}

const depends = (file: string) => readModinfo(new Uint8Array(readFileSync(file))).find(([k]) => k === "depends")?.[1];

describe("buildModules", () => {
  it("builds modules together, each using the others' symbols, beside their sources", async () => {
    const [prov, user] = sources(join(scratch.dir, "together"), { "prov.ts": PROVIDER, "user.ts": USER });
    const built = await buildModules([prov!, user!]);
    expect(built).toEqual([join(scratch.dir, "together", "prov.wasm"), join(scratch.dir, "together", "user.wasm")]);
    expect(depends(built[1]!)).toBe("prov");
    const k = new Kernel();
    k.insmod(new Uint8Array(readFileSync(built[0]!)));
    k.insmod(new Uint8Array(readFileSync(built[1]!)));
    expect(k.log.read().at(-1)!.text).toBe("twice 21 is 42");
  });

  it("takes another build's symbols from its .wasm or its directory (KBUILD_EXTRA_SYMBOLS), and refuses them unknown without", async () => {
    const [prov] = sources(join(scratch.dir, "first"), { "prov.ts": PROVIDER });
    const [user] = sources(join(scratch.dir, "second"), { "user.ts": USER });
    const out = join(scratch.dir, "first", "out");
    await buildModules([prov!], { output: out });
    const lonely = join(scratch.dir, "lonely");
    expect(await refusal(buildModules([user!], { output: lonely }))).toBe('ERROR: modpost: "prov_twice" [user.wasm] undefined!');
    for (const extra of [join(out, "prov.wasm"), out]) {
      const [built] = await buildModules([user!], { output: join(scratch.dir, "with"), extraSymbols: [extra] });
      expect(depends(built!)).toBe("prov");
    }
  });

  it("refuses extra symbols that are missing or not a module, and -o FILE for several sources", async () => {
    const [prov, user] = sources(join(scratch.dir, "bad"), { "prov.ts": PROVIDER, "user.ts": USER });
    expect(await refusal(buildModules([user!], { extraSymbols: ["nope.wasm"] }))).toBe("ERROR: modpost: nope.wasm: No such file or directory");
    expect(await refusal(buildModules([user!], { extraSymbols: [prov!] }))).toMatch(new RegExp(`^ERROR: modpost: ${prov}: not a module: `));
    expect(await refusal(buildModules([prov!, user!], { output: "x.wasm" }))).toBe(
      "wasm-lkm build: -o x.wasm: a file takes one source; give a directory for 2",
    );
  });
});

describe("wasm-lkm build", () => {
  it("builds from a directory outside the checkout, naming files as given, and prints errors without a stack", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-lkm-build-"));
    try {
      sources(join(dir, "src"), { "user.ts": USER, "prov.ts": PROVIDER, "broken.ts": "export function init_module(): void {}\n" });
      const cli = join(ROOT, "dist", "host", "cli", "wasm-lkm.js");
      const ok = await runCommand(dir, process.execPath, [cli, "build", "src/prov.ts", "src/user.ts", "-o", "out"]);
      expect(ok).toEqual({ status: 0, out: `${join(dir, "out", "prov.wasm")}\n${join(dir, "out", "user.wasm")}\n`, err: "" });
      const bad = await runCommand(dir, process.execPath, [cli, "build", "src/broken.ts"]);
      expect(bad).toEqual({
        status: 1,
        out: "",
        err: "src/broken.ts:1:17: error: init_module must be 'export function init_module(): i32', not '(): void'\n",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
