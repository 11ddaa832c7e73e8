import { execFileSync } from "node:child_process";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { SECTION_MODINFO } from "../../abi/module.js";
import { appendCustomSection, concat, leb128 } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import { releaseDir } from "../../host/kmod/depmod.js";
import { MODULE_FILE_MAX } from "../../host/kmod/file.js";
import { ROOT } from "../../scripts/paths.js";
import { cliSession, dmesg, loadBytes, scratchDir, setModinfo, snapshot } from "../helpers.js";

const { dir, cleanup } = scratchDir("cli-kmod");
afterAll(cleanup);

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

/** Run command lines in one session: stdout, stderr, the last status, and whether the kernel's state is as before. */
function run(lines: string[]): { out: string; err: string; status: number; unchanged: boolean } {
  const before = snapshot(k);
  const { s, out, err } = cliSession(k);
  let status = 0;
  for (const l of lines) status = s.exec(l);
  s.close();
  return { out: out.join(""), err: err.join(""), status, unchanged: JSON.stringify(snapshot(k)) === JSON.stringify(before) };
}

function file(name: string, bytes: Uint8Array): string {
  const path = `${dir}/${name}`;
  writeFileSync(path, bytes);
  return path;
}

/** A copy of hello with a custom section whose name is not UTF-8. */
function badSectionName(): Uint8Array {
  const name = [0x2e, 0x6d, 0xff];
  return concat([loadBytes("hello"), new Uint8Array([0, ...leb128(name.length + 2), ...leb128(name.length), ...name, 0])]);
}

describe("insmod of what is not a regular module file", () => {
  it("refuses a directory as finit_module does: Is a directory", () => {
    mkdirSync(`${dir}/somedir`, { recursive: true });
    expect(run([`insmod ${dir}/somedir`])).toEqual({ out: "", err: `insmod: ERROR: could not insert module ${dir}/somedir: Is a directory\n`, status: 1, unchanged: true });
  });

  it("refuses a FIFO without waiting for a writer, and /dev/zero, as EINVAL", () => {
    execFileSync("mkfifo", [`${dir}/fifo`]);
    expect(run([`insmod ${dir}/fifo`])).toEqual({ out: "", err: `insmod: ERROR: could not insert module ${dir}/fifo: Invalid parameters\n`, status: 1, unchanged: true });
    expect(run(["insmod /dev/zero"])).toEqual({ out: "", err: "insmod: ERROR: could not insert module /dev/zero: Invalid parameters\n", status: 1, unchanged: true });
  });

  it("refuses a sparse 65 MiB file as too large, before reading it", () => {
    writeFileSync(`${dir}/big.wasm`, "");
    truncateSync(`${dir}/big.wasm`, MODULE_FILE_MAX + 1024 * 1024);
    expect(run([`insmod ${dir}/big.wasm`])).toEqual({ out: "", err: `insmod: ERROR: could not insert module ${dir}/big.wasm: File too large\n`, status: 1, unchanged: true });
  });

  it("says a missing file could not be loaded", () => {
    expect(run([`insmod ${dir}/none.wasm`]).err).toBe(`insmod: ERROR: could not load module ${dir}/none.wasm: No such file or directory\n`);
  });
});

describe("insmod of a malformed module", () => {
  it("refuses a custom section name that is not UTF-8: Invalid module format, the reason in dmesg", () => {
    const path = file("badname.wasm", badSectionName());
    expect(run([`insmod ${path}`])).toEqual({ out: "", err: `insmod: ERROR: could not insert module ${path}: Invalid module format\n`, status: 1, unchanged: true });
    expect(dmesg(k)).toEqual([`${path}: invalid module format: malformed UTF-8 name at offset ${loadBytes("hello").length + 2}`]);
  });

  it("refuses a duplicate .modinfo and a truncated file", () => {
    const dup = file("dup.wasm", appendCustomSection(loadBytes("hello"), SECTION_MODINFO, new TextEncoder().encode("name=other\0")));
    const cut = file("cut.wasm", loadBytes("hello").subarray(0, 1000));
    const r = run([`insmod ${dup}`, `insmod ${cut}`]);
    expect(r.err).toBe(`insmod: ERROR: could not insert module ${dup}: Invalid module format\ninsmod: ERROR: could not insert module ${cut}: Invalid module format\n`);
    expect(r.unchanged).toBe(true);
    expect(dmesg(k)).toEqual([`${dup}: invalid module format: duplicate .modinfo section`, expect.stringMatching(new RegExp(`^${cut}: invalid module format: length \\d+ runs past the end at offset \\d+$`))]);
  });
});

describe("module names at the command line", () => {
  it("refuses a file whose module name has '/', a newline or 4 KB, naming the file in dmesg", () => {
    const slash = file("slash.wasm", setModinfo(loadBytes("counter"), "name", "hello/parameters"));
    const newline = file("newline.wasm", setModinfo(loadBytes("counter"), "name", "a\nb"));
    const huge = file("huge.wasm", setModinfo(loadBytes("counter"), "name", "x".repeat(4096)));
    const r = run(["insmod hello", `insmod ${slash}`, `insmod ${newline}`, `insmod ${huge}`, "ls /sys/module/hello/parameters"]);
    expect(r.err).toBe([slash, newline, huge].map((p) => `insmod: ERROR: could not insert module ${p}: Invalid module format\n`).join(""));
    expect(r.out).toBe("count\nwho\n");
    expect(dmesg(k).slice(-3)).toEqual([
      `${slash}: invalid module format: module name 'hello/parameters' has a character other than letters, digits, '_' and '-'`,
      `${newline}: invalid module format: module name 'a\\x0ab' has a character other than letters, digits, '_' and '-'`,
      `${huge}: invalid module format: module name of 4096 bytes is longer than 55`,
    ]);
  });

  it("loads a 55-byte name and refuses 56", () => {
    const ok = file("ok.wasm", setModinfo(loadBytes("counter"), "name", "n".repeat(55)));
    const long = file("long.wasm", setModinfo(loadBytes("counter"), "name", "n".repeat(56)));
    const r = run([`insmod ${long}`, `insmod ${ok}`, "ls /sys/module"]);
    expect(r.err).toBe(`insmod: ERROR: could not insert module ${long}: Invalid module format\n`);
    expect(r.out).toBe(`${"n".repeat(55)}\n`);
  });

  it("reads '-' as '_' in a module's name and in rmmod's argument", () => {
    const dash = file("dash.wasm", setModinfo(loadBytes("counter"), "name", "my-counter"));
    const r = run([`insmod ${dash}`, "lsmod", "rmmod my-counter", "lsmod"]);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^Module +Size +Used by\nmy_counter +\d+ +0\nModule +Size +Used by\n$/);
  });

  it("treats a name no module can have as not found: modinfo, modprobe, rmmod", () => {
    const r = run(["modinfo 'a\nb'", `modinfo ${"x".repeat(4096)}`, "modprobe --dump-modversions '..'", "rmmod 'a b'"]);
    expect(r.err).toBe(
      "modinfo: ERROR: Module a\nb not found.\n" +
        `modinfo: ERROR: Module ${"x".repeat(4096)} not found.\n` +
        `modprobe: FATAL: Module .. not found in directory ${releaseDir(ROOT)}\n` +
        "rmmod: ERROR: Module a b is not currently loaded\n",
    );
    expect(r.unchanged).toBe(true);
  });
});

describe("modinfo and modprobe's file queries on malformed files", () => {
  it("say the file is not a module, as kmod words it, naming the module", () => {
    const path = file("badname.wasm", badSectionName());
    mkdirSync(`${dir}/qdir`, { recursive: true });
    const r = run([`modinfo ${path}`, `modprobe --dump-modversions ${path}`, `modprobe --show-exports ${path}`, `modinfo ${dir}/qdir`, `modprobe --show-exports /dev/zero`]);
    expect(r.err).toBe(
      "modinfo: ERROR: could not get modinfo from 'badname': Exec format error\n" +
        "modprobe: FATAL: could not get modversions of badname: Exec format error\n" +
        "modprobe: FATAL: could not get symbols of badname: Exec format error\n" +
        // No module file (not a regular file named .wasm), so kmod's modinfo looks it up as an alias.
        `modinfo: ERROR: Module ${dir}/qdir not found.\n` +
        "modprobe: FATAL: could not get symbols of zero: Invalid argument\n",
    );
  });

  it("refuses a duplicate section the loader refuses too", () => {
    const path = file("dup.wasm", appendCustomSection(loadBytes("counter"), "__versions", new Uint8Array()));
    expect(run([`modprobe --dump-modversions ${path}`]).err).toBe("modprobe: FATAL: could not get modversions of dup: Exec format error\n");
  });

  it("modprobe of a FIFO path fails its insertion without hanging", () => {
    execFileSync("mkfifo", [`${dir}/mp.wasm`]);
    expect(run([`modprobe ${dir}/mp.wasm`]).err).toBe("modprobe: ERROR: could not insert 'mp': Invalid argument\n");
  });
});
