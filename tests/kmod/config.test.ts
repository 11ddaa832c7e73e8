// modprobe.d parsing: kmod's commands, name normalisation, continuation lines, precedence between
// directories, and the words for a bad line.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { aliasNormalize, loadConfig } from "../../host/kmod/config.js";
import { noLog } from "../../host/kmod/log.js";
import { scratchDir } from "../helpers.js";

const scratch = scratchDir("kmod-config");
afterAll(() => scratch.cleanup());

function write(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

describe("modprobe.d", () => {
  it("parses each command, '-' read as '_' in module names and alias patterns outside brackets", () => {
    const dir = join(scratch.dir, "one");
    write(join(dir, "a.conf"), [
      "# a comment",
      "",
      "alias my-fs ramfs",
      "alias snd-card-[a-b] hello-world",
      "blacklist pc-spkr",
      "options snd-hda\tmodel=x  probe=1",
      "install foo /sbin/modprobe --ignore-install foo && echo ok",
      "remove foo /bin/true",
      "softdep bar pre: a b post: c",
    ].join("\n"));
    const c = loadConfig([dir], scratch.dir, null, noLog);
    expect(c.aliases).toEqual([{ pattern: "my_fs", modname: "ramfs" }, { pattern: "snd_card_[a-b]", modname: "hello_world" }]);
    expect(c.blacklist).toEqual(["pc_spkr"]);
    expect(c.options).toEqual([{ modname: "snd_hda", options: "model=x  probe=1" }]);
    expect(c.install).toEqual([{ modname: "foo", command: "/sbin/modprobe --ignore-install foo && echo ok" }]);
    expect(c.remove).toEqual([{ modname: "foo", command: "/bin/true" }]);
    expect(c.softdeps).toEqual([{ name: "bar", pre: ["a", "b"], post: ["c"] }]);
  });

  it("joins a line ending in a backslash with the next, the blanks kept as kmod keeps them", () => {
    const dir = join(scratch.dir, "wrap");
    write(join(dir, "w.conf"), "options hello \\\n  who=x\n");
    expect(loadConfig([dir], scratch.dir, null, noLog).options).toEqual([{ modname: "hello", options: "  who=x" }]);
  });

  it("reads *.conf only, by name across directories, an earlier directory's file hiding the same name later", () => {
    const [etc, lib] = [join(scratch.dir, "p", "etc"), join(scratch.dir, "p", "lib")];
    write(join(etc, "b.conf"), "blacklist from_etc_b\n");
    write(join(lib, "b.conf"), "blacklist from_lib_b\n");
    write(join(lib, "a.conf"), "blacklist from_lib_a\n");
    write(join(lib, "c.txt"), "blacklist ignored\n");
    write(join(lib, ".d.conf"), "blacklist hidden\n");
    expect(loadConfig([etc, lib, join(scratch.dir, "missing")], scratch.dir, null, noLog).blacklist).toEqual(["from_lib_a", "from_etc_b"]);
  });

  it("reads the module directory's modules.softdep and modules.weakdep among the files, by name", () => {
    const dir = join(scratch.dir, "sd");
    write(join(dir, "modules.softdep"), "# Soft dependencies extracted from modules themselves.\nsoftdep x pre: y\n");
    write(join(dir, "modules.weakdep"), "# Weak dependencies extracted from modules themselves.\nweakdep x w\n");
    write(join(dir, "d", "a.conf"), "softdep x pre: from_a\nweakdep x from_a\n");
    write(join(dir, "d", "z.conf"), "softdep x pre: from_z\n");
    const c = loadConfig([join(dir, "d")], dir, null, noLog);
    expect(c.softdeps.map((s) => s.pre[0])).toEqual(["from_a", "y", "from_z"]);
    expect(c.weakdeps).toEqual([{ name: "x", weak: ["from_a"] }, { name: "x", weak: ["w"] }]);
  });

  it("names a bad line by file and number, and calls include deprecated", () => {
    const dir = join(scratch.dir, "bad");
    const file = join(dir, "x.conf");
    write(file, "alias onlyone\nfrobnicate all\n  #indented\ninclude /etc/other\noptions hello\n");
    const errs: string[] = [];
    loadConfig([dir], scratch.dir, null, (_p, fn, m) => errs.push(`${fn}: ${m}`));
    expect(errs).toEqual([
      `kmod_config_parse: ${file} line 1: ignoring bad line starting with 'alias'`,
      `kmod_config_parse: ${file} line 2: ignoring bad line starting with 'frobnicate'`,
      `kmod_config_parse: ${file} line 3: ignoring bad line starting with '#indented'`,
      `kmod_config_parse: ${file}: command include is deprecated and not parsed anymore`,
      `kmod_config_parse: ${file} line 5: ignoring bad line starting with 'options'`,
    ]);
  });
});

describe("aliasNormalize", () => {
  it("keeps sets as they are and refuses unbalanced brackets", () => {
    expect(aliasNormalize("char-major-[1-4]-*")).toBe("char_major_[1-4]_*");
    expect(aliasNormalize("a]b")).toBeNull();
    expect(aliasNormalize("a[b")).toBeNull();
  });
});
