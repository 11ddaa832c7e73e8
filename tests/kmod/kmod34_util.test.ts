// kmod 34's testsuite/test-util.c, where what it tests shows through modprobe: alias_normalize() and
// underscores() in the names modprobe.d's lines give (seen with modprobe -c), and freadline_wrapped()
// on its fixture's continued lines (seen in the lines and line numbers modprobe.d's parser takes).
// Its other cases test C helpers with nothing here to match (docs/kmod.md).

import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "../helpers.js";
import { kmodRootfs } from "./kmod34_rootfs.js";

const scratch = scratchDir("kmod34-util");
afterAll(() => scratch.cleanup());

let n = 0;
const rootfs = (files: Record<string, string>) => kmodRootfs(join(scratch.dir, `rootfs${n++}`), files);
const END = "\n# End of configuration files. Dumping indexes now:\n\n";

describe("test-util.c", () => {
  it("alias_1: alias_normalize() keeps each of alias-correct.txt's inputs, sets and all", () => {
    const inputs = ["test1234", "test[abcfoobar]2211", "bar[aaa][bbbb]sss", "kmod[p.b]lib", "[az]1234[AZ]"];
    const r = rootfs({ "etc/modprobe.d/a.conf": inputs.map((a) => `alias ${a} m\n`).join("") });
    expect(r.sh(["modprobe -c"])).toEqual({ out: inputs.map((a) => `alias ${a} m\n`).join("") + END, err: "", status: 0 });
  });

  it("test_underscores: '-' becomes '_' outside [...] sets", () => {
    const cases: [string, string][] = [
      ["aa-bb-cc_", "aa_bb_cc_"], ["-aa-bb-cc-", "_aa_bb_cc_"], ["-aa[-bb-]cc-", "_aa[-bb-]cc_"],
      ["-aa-[bb]-cc-", "_aa_[bb]_cc_"], ["-aa-[b-b]-cc-", "_aa_[b-b]_cc_"], ["-aa-b[-]b-cc", "_aa_b[-]b_cc"],
    ];
    const r = rootfs({ "etc/modprobe.d/u.conf": cases.map(([name]) => `blacklist ${name}\n`).join("") });
    expect(r.sh(["modprobe -c"]).out).toBe(cases.map(([, out]) => `blacklist ${out}\n`).join("") + END);
  });

  it("refuses a name with an unbalanced bracket as a bad line, in an alias, a target or a blacklist", () => {
    const r = rootfs({ "etc/modprobe.d/b.conf": "alias foo]bar m\nalias foo[bar m\nalias ok m]\nblacklist x[y\nalias good m\n" });
    const file = join(r.root, "etc/modprobe.d/b.conf");
    const bad = (line: number, cmd: string) => `libkmod: ERROR: kmod_config_parse: ${file} line ${line}: ignoring bad line starting with '${cmd}'\n`;
    expect(r.sh(["modprobe -c"])).toEqual({ out: `alias good m\n${END}`, err: bad(1, "alias") + bad(2, "alias") + bad(3, "alias") + bad(4, "blacklist"), status: 0 });
  });

  /** freadline_wrapped-input.txt's shape: a line continued once, a single one, one continued twice, a 256- and a 2015-character one, and a last one without its newline. */
  const long = (size: number) => `this line is very large because it has ${"word after ".repeat(size)}`.slice(0, size);
  const LOGICAL = ["this is the first line wrapped by one \\", "this is a single line", "three line lines in a row", long(256), long(2015), "wrapped without newline"];
  const PHYSICAL = ["this is the first line \\\nwrapped by one \\\\\n", "this is a single line\n", "three line \\\nlines \\\nin a row\n", `${long(256)}\n`, `${long(2015)}\n`, "wrapped without newline\\"];

  it("test_freadline_wrapped: the logical lines, an escaped backslash kept as one and not continuing the line", () => {
    const r = rootfs({ "etc/modprobe.d/w.conf": PHYSICAL.map((l, i) => `install w${i} ${l}`).join("") });
    expect(r.sh(["modprobe -c"]).out).toBe(LOGICAL.map((l, i) => `install w${i} ${l}\n`).join("") + END);
  });

  it("test_freadline_wrapped: each logical line numbered by the last physical line it took (2, 1, 3, 1, 1, 1 of them)", () => {
    const r = rootfs({ "etc/modprobe.d/w.conf": PHYSICAL.join("") });
    const file = join(r.root, "etc/modprobe.d/w.conf");
    const numbers = [2, 3, 6, 7, 8, 9];
    expect(r.sh(["modprobe -c"]).err).toBe(
      LOGICAL.map((l, i) => `libkmod: ERROR: kmod_config_parse: ${file} line ${numbers[i]}: ignoring bad line starting with '${l.split(" ")[0]}'\n`).join(""),
    );
  });
});
