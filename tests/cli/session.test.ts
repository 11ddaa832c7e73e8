import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { lsmodRow } from "../../host/cli/lsmod.js";
import { COMMANDS } from "../../host/cli/session.js";
import { expandWords, parseLine, splitWords } from "../../host/cli/words.js";
import { releaseDir } from "../../host/kmod/depmod.js";
import { ROOT } from "../../scripts/paths.js";
import { cliSession, dmesg, moduleFixtures } from "../helpers.js";

function run(lines: string[]): { out: string; err: string; status: number } {
  const { s, out, err } = cliSession();
  for (const l of lines) s.exec(l);
  return { out: out.join(""), err: err.join(""), status: s.status };
}

describe("splitWords", () => {
  it("splits at blanks, keeps quoted blanks and makes > a word", () => {
    expect(splitWords(`insmod hello who="big kernel" count=2`)).toEqual(["insmod", "hello", "who=big kernel", "count=2"]);
    expect(splitWords("echo 1>/sys/x")).toEqual(["echo", "1", ">", "/sys/x"]);
  });

  it("makes >> one word, but not > > or a quoted >", () => {
    expect(splitWords("echo a>>/tmp/x")).toEqual(["echo", "a", ">>", "/tmp/x"]);
    expect(splitWords("echo a > > b")).toEqual(["echo", "a", ">", ">", "b"]);
    expect(splitWords(`echo '>'> x`)).toEqual(["echo", ">", ">", "x"]);
  });

  it("treats # at the start of a word as a comment", () => {
    expect(splitWords("  # nothing")).toEqual([]);
    expect(splitWords("lsmod # list")).toEqual(["lsmod"]);
    expect(splitWords("echo a#b")).toEqual(["echo", "a#b"]);
  });

  it("refuses an open quote", () => {
    expect(() => splitWords(`echo "open`)).toThrow(/unterminated/);
  });
});

/** A line's list with each simple command's words as written (no variable set), groups nested. */
function shape(line: string): unknown[] {
  const of = (list: ReturnType<typeof parseLine>): unknown[] =>
    list.map(({ command, connector }) => ({
      ...("group" in command ? { group: of(command.group) } : { words: expandWords(command.words, new Map()) }),
      ...("stdin" in command && command.stdin ? { stdin: expandWords([command.stdin], new Map()) } : {}),
      connector,
    }));
  return of(parseLine(line));
}

describe("parseLine", () => {
  it("ends a command at an unquoted ;, && or ||, and keeps a quoted one in its word", () => {
    expect(shape(`lsmod; echo "a;b" && true || false`)).toEqual([
      { words: ["lsmod"], connector: ";" },
      { words: ["echo", "a;b"], connector: "&&" },
      { words: ["true"], connector: "||" },
      { words: ["false"], connector: ";" },
    ]);
    expect(shape("lsmod;")).toEqual([{ words: ["lsmod"], connector: ";" }]);
  });

  it("refuses an empty command between connectors, a dangling && and a pipe or background job", () => {
    const refused: [string, string][] = [
      ["lsmod;; lsmod", "near unexpected token `;'"], ["&& lsmod", "near unexpected token `&&'"], ["lsmod &&", "unexpected end of line"],
      ["lsmod | cat", "pipes are not supported"], ["lsmod &", "background jobs are not supported"],
    ];
    for (const [line, message] of refused) expect(() => parseLine(line)).toThrow(message);
  });

  it("groups a list in { ...; } where a command starts, as sh does", () => {
    expect(shape("a && { b ; c; } || d")).toEqual([
      { words: ["a"], connector: "&&" },
      { group: [{ words: ["b"], connector: ";" }, { words: ["c"], connector: ";" }], connector: "||" },
      { words: ["d"], connector: ";" },
    ]);
    expect(shape("echo { } '{'")).toEqual([{ words: ["echo", "{", "}", "{"], connector: ";" }]);
    expect(shape("{ { a; }; }")).toEqual([{ group: [{ group: [{ words: ["a"], connector: ";" }], connector: ";" }], connector: ";" }]);
  });

  it("refuses a group left open, an empty one, a } where no group is, and words after a group", () => {
    const refused: [string, string][] = [
      ["{ a", "unexpected end of line"], ["{ a }", "unexpected end of line"], ["{ }", "near unexpected token `}'"],
      ["a; }", "near unexpected token `}'"], ["{ a; } b", "near unexpected token `b'"], ["{ a && }", "near unexpected token `}'"],
    ];
    for (const [line, message] of refused) expect(() => parseLine(line)).toThrow(message);
  });
});

describe("< FILE", () => {
  it("takes an unquoted < and the word after it out of the words, the last one counting, as sh does", () => {
    expect(shape("nc -u 10.0.0.1 53 </tmp/q && dd of=/x < /a <'/b c'")).toEqual([
      { words: ["nc", "-u", "10.0.0.1", "53"], stdin: ["/tmp/q"], connector: "&&" },
      { words: ["dd", "of=/x"], stdin: ["/b c"], connector: ";" },
    ]);
    expect(shape("echo '<' a\"<\"b")).toEqual([{ words: ["echo", "<", "a<b"], connector: ";" }]);
  });

  it("refuses a < with no file after it", () => {
    const refused: [string, string][] = [["dd <", "near unexpected token `newline'"], ["dd < ; a", "near unexpected token `;'"], ["dd < < f", "near unexpected token `<'"]];
    for (const [line, message] of refused) expect(() => parseLine(line)).toThrow(message);
  });

  it("gives the command the file on descriptor 0 and the shell its terminal back after", () => {
    const { s, out, err } = cliSession();
    s.exec("echo hello > /in");
    expect(s.exec("dd of=/out status=none < /in")).toBe(0);
    expect(s.exec("cat /out")).toBe(0);
    expect(out.join("")).toBe("hello\n");
    expect(s.exec("dd of=/again status=none")).toBe(0);
    expect(s.exec("ls -l /again")).toBe(0);
    expect(out.join("")).toMatch(/ 0 [^\n]* \/again\n$/);
    expect(err.join("")).toBe("");
    expect(s.libc.task.files.entries().map(([fd]) => fd)).toEqual([0, 1, 2]);
  });

  it("says why a file cannot be opened, runs nothing and leaves the shell's descriptors as they were", () => {
    const { s, out, err } = cliSession();
    expect(s.exec("dd of=/out < /nofile")).toBe(1);
    expect(err.join("")).toBe("wasm-lkm: /nofile: No such file or directory\n");
    expect(s.exec("dd of=/out < ${UNSET}")).toBe(1);
    expect(err.join("")).toMatch(/wasm-lkm: "": ambiguous redirect\n$/);
    expect(() => s.libc.lstat("/out")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(out.join("")).toBe("");
    expect(s.libc.task.files.entries().map(([fd]) => fd)).toEqual([0, 1, 2]);
  });
});

describe("expandWords", () => {
  const env = new Map([["M", "/sbin/modprobe"], ["TWO", "a  b"], ["EMPTY", ""]]);
  const words = (line: string) => expandWords((parseLine(line)[0]!.command as { words: Parameters<typeof expandWords>[0] }).words, env);

  it("replaces $NAME and ${NAME}, an unset one by nothing", () => {
    expect(words("$M -q x${M}y $UNSET")).toEqual(["/sbin/modprobe", "-q", "x/sbin/modprobey"]);
  });

  it("splits an unquoted value at blanks, keeps a quoted one whole, and leaves '...' alone", () => {
    expect(words(`echo $TWO "$TWO" '$TWO' $EMPTY "$EMPTY"`)).toEqual(["echo", "a", "b", "a  b", "$TWO", ""]);
    expect(words("echo $ $1 a$")).toEqual(["echo", "$", "$1", "a$"]);
  });

  it("refuses a ${ that names no variable", () => {
    expect(() => parseLine("echo ${M")).toThrow("bad substitution");
    expect(() => parseLine("echo ${1x}")).toThrow("bad substitution");
  });
});

describe("lists", () => {
  it("runs after ; always, after && on success, after || on failure; the last command run gives the status", () => {
    const r = run(["echo a; false && echo b || echo c; true || echo d"]);
    expect(r.out).toBe("a\nc\n");
    expect(r.status).toBe(0);
    expect(run(["true && false"]).status).toBe(1);
  });

  it("runs a { ...; } group as one command: its last command's status decides what follows", () => {
    const r = run(["false || { echo a; false; } || echo b; true && { true; } && echo c"]);
    expect(r.out).toBe("a\nb\nc\n");
    expect(run(["{ echo x; }; { false; }"]).status).toBe(1);
  });

  it("expands $NAME from what export set, when each command runs, and hands it to the shells system() starts", () => {
    const { s, out, err } = cliSession();
    s.exec("export GREETING='hi there' E=");
    s.exec('echo $GREETING; echo "$GREETING!" ${E}x; export GREETING=bye && echo $GREETING');
    expect(s.system("echo $GREETING $EXTRA", { EXTRA: "more" })).toBe(0);
    s.exec("export");
    expect(s.exec("export 1x=2 ok=1")).toBe(1);
    expect(out.join("")).toBe('hi there\nhi there! x\nbye\nbye more\ndeclare -x E=""\ndeclare -x GREETING="bye"\n');
    expect(err.join("")).toBe("export: `1x=2': not a valid identifier\n");
    expect(s.env.get("ok")).toBe("1");
  });

  it("runs /bin/NAME and /sbin/NAME as the command NAME; a path elsewhere is a file to execute", () => {
    const r = run(["/bin/echo hi", "/sbin/lsmod", "/opt/echo no"]);
    expect(r.out).toBe("hi\nModule                  Size  Used by\n");
    expect(r.err).toBe("wasm-lkm: /opt/echo: No such file or directory\n");
  });
});

describe("insmod and lsmod", () => {
  it("loads with parameters and lists in kmod's format", () => {
    const { s, out, err } = cliSession();
    for (const l of ["insmod hello who=kernel count=2", "insmod counter", "insmod counter_user", "lsmod"]) s.exec(l);
    const size = (n: string) => String(s.kernel.modules.find(n)!.size).padStart(8);
    expect(err.join("")).toBe("");
    expect(out.join("")).toBe(
      "Module                  Size  Used by\n" +
        `counter_user        ${size("counter_user")}  0\n` +
        `counter             ${size("counter")}  1 counter_user\n` +
        `hello               ${size("hello")}  0\n`,
    );
  });

  it("formats a row with several holders joined by commas", () => {
    expect(lsmodRow({ name: "fat", size: 86016, refcnt: 2, holders: ["vfat", "msdos"] })).toBe("fat                    86016  2 vfat,msdos\n");
  });

  it("prints kmod's error text and carries on", () => {
    const r = run(["insmod counter_user", "insmod nosuchmodule", "insmod hello", "insmod hello", "lsmod"]);
    expect(r.err).toBe(
      "insmod: ERROR: could not insert module counter_user: Unknown symbol in module\n" +
        "insmod: ERROR: could not load module nosuchmodule: No such file or directory\n" +
        "insmod: ERROR: could not insert module hello: File exists\n",
    );
    expect(r.out).toMatch(/\nhello +\d+ {2}0\n$/);
    expect(r.status).toBe(1);
  });

  it("reports a bad parameter as Invalid parameters", () => {
    const r = run(["insmod hello count=many"]);
    expect(r.err).toBe("insmod: ERROR: could not insert module hello: Invalid parameters\n");
  });

  it("passes a quoted value with blanks as one parameter", () => {
    const { s, out } = cliSession();
    s.exec(`insmod hello who="big kernel"`);
    s.exec("cat /sys/module/hello/parameters/who");
    expect(out.join("")).toBe("big kernel\n");
  });
});

/** A module whose openat override traps: every open through the table faults in module code. */
const OPEN_TRAP = `
import { __NR_openat, syscall_override, syscall_unregister } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
function trap(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32): i32 { return load<i32>(<usize>0xfffffff0); }
export function init_module(): i32 { return syscall_override(__NR_openat, trap.index); }
export function cleanup_module(): void { syscall_unregister(__NR_openat); }
`;

/** A module with an init and no exit: /proc/modules says [permanent]. */
const PERMANENT = `
MODULE_LICENSE("GPL");
export function init_module(): i32 { return 0; }
`;

describe("lsmod while a system call override faults", () => {
  const fixtures = moduleFixtures("session", { open_trap: OPEN_TRAP, permanent: PERMANENT });

  it("names holders only in Used by, as kmod's lsmod reads them from /sys/module: /proc/modules' [permanent] is not one", () => {
    const { s, out } = cliSession();
    s.kernel.insmod(fixtures.get("permanent")!);
    s.exec("insmod counter");
    s.exec("insmod counter_user");
    s.exec("cat /proc/modules");
    s.exec("lsmod");
    const size = (n: string) => String(s.kernel.modules.find(n)!.size);
    expect(out.join("")).toBe(
      `counter_user ${size("counter_user")} 0 - Live 0x0000000000000000\n` +
        `counter ${size("counter")} 1 counter_user, Live 0x0000000000000000\n` +
        `permanent ${size("permanent")} 0 [permanent], Live 0x0000000000000000\n` +
        "Module                  Size  Used by\n" +
        `counter_user        ${size("counter_user").padStart(8)}  0\n` +
        `counter             ${size("counter").padStart(8)}  1 counter_user\n` +
        `permanent           ${size("permanent").padStart(8)}  0\n`,
    );
  });

  it("says it could not get the list of modules, as kmod's lsmod does; then the dead override is passed over", () => {
    const { s, out, err } = cliSession();
    s.kernel.insmod(fixtures.get("open_trap")!);
    expect(s.exec("lsmod")).toBe(1);
    expect(err.join("")).toBe("lsmod: ERROR: could not open /proc/modules: Bad address\nlsmod: ERROR: could not get list of modules: Bad address\n");
    expect(out.join("")).toBe("");
    expect(dmesg(s.kernel)).toContain("BUG: wasm trap in open_trap: memory access out of bounds");
    expect(s.exec("lsmod")).toBe(0);
    expect(out.join("")).toMatch(/^Module +Size +Used by\nopen_trap +\d+ +0\n$/);
    expect(s.exec("rmmod open_trap")).toBe(0);
  });
});

describe("syscall exit", () => {
  it("ends the shell's task as strace shows it; the next command runs in a new shell in /", () => {
    const { s, out, err } = cliSession();
    s.exec("mkdir /tmp/here");
    s.exec("cd /tmp/here");
    const old = s.libc.task;
    expect(s.exec("syscall exit 3")).toBe(3);
    expect(old.exitCode).toBe(3 << 8);
    expect(s.libc.task).not.toBe(old);
    expect(s.kernel.tasks.find(old.pid)).toBeUndefined();
    expect(s.exec("pwd")).toBe(0);
    expect(s.exec("echo still here")).toBe(0);
    expect(out.join("")).toBe("syscall(exit) = ?\n+++ exited with 3 +++\n/\nstill here\n");
    expect(err.join("")).toBe(`wasm-lkm: the shell (pid ${old.pid}) exited; a new shell (pid ${s.libc.task.pid}) goes on in /\n`);
  });
});

describe("rmmod", () => {
  it("names the holders, then unloads in order", () => {
    const r = run(["insmod counter", "insmod counter_user", "rmmod counter", "rmmod counter_user", "rmmod counter", "lsmod"]);
    expect(r.err).toBe("rmmod: ERROR: Module counter is in use by: counter_user\n");
    expect(r.out).toBe("Module                  Size  Used by\n");
  });

  it("says when a module is not loaded, and accepts a path", () => {
    const r = run(["rmmod hello", "insmod hello", "rmmod build/modules/hello.wasm", "lsmod"]);
    expect(r.err).toBe("rmmod: ERROR: Module hello is not currently loaded\n");
    expect(r.out).toBe("Module                  Size  Used by\n");
  });

  it("refuses a referenced module unless forced, and -f taints R", () => {
    const { s, err } = cliSession();
    s.exec("insmod hello");
    s.kernel.modules.find("hello")!.refcnt++;
    s.exec("rmmod hello");
    expect(err.join("")).toBe("rmmod: ERROR: Module hello is in use\n");
    expect(s.exec("rmmod -f hello")).toBe(0);
    expect(s.kernel.taint.test("FORCED_RMMOD")).toBe(true);
  });

  it("still refuses -f while other modules use it", () => {
    const { s, err } = cliSession();
    s.exec("insmod counter");
    s.exec("insmod counter_user");
    expect(s.exec("rmmod -f counter")).toBe(1);
    expect(err.join("")).toBe("rmmod: ERROR: could not remove module counter: Resource temporarily unavailable\n");
  });
});

describe("modinfo and modprobe", () => {
  it("prints fields from column 16 with parameters last", () => {
    const r = run(["modinfo hello"]);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe(`filename:       ${join(releaseDir(ROOT), "kernel/hello.wasm")}`);
    expect(lines).toContain("license:        GPL");
    expect(lines).toContain("name:           hello");
    expect(lines.slice(-3)).toEqual(["parm:           count:How many times to greet (int)", "parm:           who:Whom to greet (charp)", ""]);
  });

  it("prints one field with -F", () => {
    expect(run(["modinfo -F license counter_proprietary"]).out).toBe("Proprietary\n");
    expect(run(["modinfo -F depends counter_user"]).out).toBe("counter\n");
  });

  it("says when a module is not found", () => {
    expect(run(["modinfo nosuch"]).err).toBe("modinfo: ERROR: Module nosuch not found.\n");
  });

  it("dumps the versions the module needs", () => {
    const out = run(["modprobe --dump-modversions counter_user"]).out;
    expect(out.split("\n").filter(Boolean).map((l) => l.split("\t")[1])).toEqual(["counter_add", "counter_get", "_printk"]);
    expect(out).toMatch(/^(0x[0-9a-f]{8}\t\w+\n)+$/);
  });
});

describe("dmesg, cat and echo", () => {
  it("prints timestamps, filters by level and clears", () => {
    const { s, out } = cliSession();
    s.exec("insmod hello");
    s.exec("insmod counter_proprietary");
    s.exec("dmesg");
    expect(out.join("")).toMatch(/^\[ {4}\d\.\d{6}\] Hello, world!\n/);
    out.length = 0;
    s.exec("dmesg -t -l info");
    expect(out.join("")).toBe("Hello, world!\n");
    out.length = 0;
    s.exec("dmesg -r -t -l warn");
    expect(out.join("")).toMatch(/^<4>counter_proprietary: module license 'Proprietary' taints kernel\.\n/);
    out.length = 0;
    s.exec("dmesg -c");
    s.exec("dmesg");
    expect(out.join("")).not.toBe("");
    out.length = 0;
    s.exec("dmesg");
    expect(out.join("")).toBe("");
  });

  it("writes a writable parameter and refuses a read-only one", () => {
    const { s, out, err } = cliSession();
    s.exec("insmod hello count=1");
    expect(s.exec("echo -n there > /sys/module/hello/parameters/who")).toBe(0);
    expect(s.exec("echo 7 > /sys/module/hello/parameters/count")).toBe(1);
    s.exec("cat /sys/module/hello/parameters/who /sys/module/hello/parameters/count");
    expect(out.join("")).toBe("there\n1\n");
    expect(err.join("")).toBe("echo: /sys/module/hello/parameters/count: Permission denied\n");
  });

  it("reads like coreutils on a missing file", () => {
    expect(run(["cat /proc/nope"]).err).toBe("cat: /proc/nope: No such file or directory\n");
  });

  it("reports a refused value as a write error", () => {
    const r = run(["echo nonsense > /proc/sys/kernel/printk"]);
    expect(r.err).toBe("echo: write error: Invalid argument\n");
  });
});

describe("help", () => {
  it("lists every command with its usage, the file commands after the module ones", () => {
    const out = run(["help"]).out;
    expect(out.split("\n").filter(Boolean).map((l) => l.trim().split(" ")[0])).toEqual([
      "insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod", "dmesg",
      "ls", "cat", "echo", "mkdir", "rmdir", "rm", "mv", "ln", "mknod", "chmod", "chown", "touch", "stat", "df", "mount", "umount", "cd", "pwd", "syscall",
      "dd", "blockdev", "losetup", "sync", "stty", "slattach",
      "hw", "ip", "ping", "nc", "true", "false", "id", "setpriv", "export", "expect", "expect-fail",
      "help",
    ]);
    for (const c of COMMANDS) expect(out).toContain(`  ${c.usage.padEnd(52)}${c.help}\n`);
  });
});

describe("wasm-lkm run", () => {
  const cli = join(ROOT, "dist/host/cli/wasm-lkm.js");

  it("reads standard input, tolerates '-' lines and exits 0", () => {
    const r = spawnSync("node", [cli, "run", "-"], { input: "insmod hello\n-rmmod counter\nlsmod\n", encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Module {18}Size {2}Used by\nhello +\d+ {2}0\n$/);
    expect(r.stderr).toBe("rmmod: ERROR: Module counter is not currently loaded\n");
  });

  it("exits 1 when any command failed", () => {
    const r = spawnSync("node", [cli, "run", "-"], { input: "bogus\nlsmod\n", encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("wasm-lkm: bogus: command not found\n");
  });

  it("runs the demo: each step it shows, with its exact message, and exits 0", () => {
    const r = spawnSync("node", [cli, "run", join(ROOT, "examples/demo.lkm")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      "echo: /sys/module/hello/parameters/count: Permission denied\n" +
        "rmmod: ERROR: Module counter is in use by: counter_user\n" +
        "insmod: ERROR: could not insert module counter_proprietary: Unknown symbol in module\n" +
        "insmod: ERROR: could not insert module faulty: Bad address\n" +
        "rmmod: ERROR: could not remove module faulty: Bad address\n",
    );
    const out = r.stdout;
    // dmesg's lines without their timestamps, which follow the process's clock.
    const log = out.replace(/^\[ *\d+\.\d{6}\] /gm, "");
    // Parameters: three greetings to who=kernel, then who changed through sysfs to say goodbye with.
    expect(out).toMatch(/^Module {18}Size {2}Used by\nhello +\d+ {2}0\nkernel\n/);
    expect(log).toContain("Hello, kernel!\nHello, kernel!\nHello, kernel!\n");
    expect(log.endsWith("Goodbye, wasm.\n")).toBe(true);
    // Stacking: counter_user calls counter's symbols, and holds it.
    expect(out).toMatch(/\ncounter_user +\d+ {2}0\ncounter +\d+ {2}1 counter_user\nhello +\d+ {2}0\n/);
    expect(log).toContain("counter_user: added 7, counter_add returned 7, counter_get says 7\n");
    // modprobe -v loads the dependency first; -r removes both; the demand-loaded ramfs is autocleaned.
    const dir = releaseDir(ROOT);
    expect(out).toContain(`insmod ${dir}/kernel/counter.wasm \ninsmod ${dir}/kernel/counter_user.wasm step=2\nrmmod counter_user\nrmmod counter\n`);
    expect(out).toMatch(/Used by\nramfs +\d+ {2}1\nhello +\d+ {2}0\nModule +Size {2}Used by\nhello +\d+ {2}0\n/);
    // The GPL-only symbol refused to a proprietary module, which tainted the kernel P (1) on the way.
    expect(log).toContain("counter_proprietary: module license 'Proprietary' taints kernel.\n");
    expect(log).toContain("counter_proprietary: Unknown symbol counter_reset (err -2)\n");
    expect(out).toContain("\n1\nfaulty ");
    // A trap in init: an Oops, the load refused; a BUG() in cleanup: an Oops, the module left [dead].
    expect(log).toContain("BUG: wasm trap in faulty: memory access out of bounds\nOops: 0000 [#1]\n");
    expect(log).toContain("kernel BUG at cleanup_module [faulty]!\nfaulty: bug mode asked for a BUG in cleanup\nOops: invalid opcode: 0000 [#2]\n");
    expect(out).toMatch(/\nfaulty \d+ 0 \[dead\], Live 0x0+\nhello \d+ 0 - Live 0x0+\n/);
  });

  it("is npm start's demo, each command of it echoed as '$ COMMAND' before its output", () => {
    const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
    const [cmd, ...args] = start.split(" ");
    const r = spawnSync(cmd!, args, { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    const commands = readFileSync(join(ROOT, "examples/demo.lkm"), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    const echoed = r.stdout.split("\n").filter((l) => l.startsWith("$ ")).map((l) => l.slice(2));
    expect(echoed).toEqual(commands);
    expect(r.stdout).toContain("$ lsmod\nModule                  Size  Used by\nhello ");
    expect(r.stdout).toContain("$ cat /sys/module/hello/parameters/who\nkernel\n$ echo -n wasm > /sys/module/hello/parameters/who\n");
  });

  it("runs the file-commands example successfully, its two refusals tolerated", () => {
    const r = spawnSync("node", [cli, "run", join(ROOT, "examples/fs.lkm")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("rmdir: failed to remove 'sub': Directory not empty\numount: /mnt: target is busy.\n");
    expect(r.stdout).toMatch(/^\/tmp\/demo\nhello\nworld\nhello\nworld\ntotal 0\nlrwxrwxrwx 1 root root 12 .* link -> sub\/greeting\n/);
    expect(r.stdout).toContain("devtmpfs on /mnt type devtmpfs (rw,relatime)\n");
    expect(r.stdout).toMatch(/\nsyscall\(getpid\) = 2\nsyscall\(unlink\) = -1 ENOENT \(No such file or directory\)\n$/);
  });

  it("runs the drivers example: the UART's bytes reach cat through its interrupt, the timer ticks", () => {
    const r = spawnSync("node", [cli, "run", join(ROOT, "examples/drivers.lkm")], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("echo: write error: No space left on device\n");
    expect(r.stdout).toContain("uart0: uart16550 at 0x3f8 irq 4\npit0: pit at 0x40 irq 0\n");
    expect(r.stdout).toContain("0040-0043 : timer0\n03f8-03ff : serial\n");
    expect(r.stdout).toContain("hello from the other end\nhello back\n");
    const [before, after] = [...r.stdout.matchAll(/^(\d+)$/gm)].map((m) => Number(m[1]));
    expect(after! - before!).toBe(100);
    expect(r.stdout).toMatch(/ {2}0: +\d+ +XT-PIC +0-edge +ticker\n {2}4: +\d+ +XT-PIC +4-edge +serial\n/);
  });

  it("runs modinfo as a one-shot command", () => {
    expect(execFileSync("node", [cli, "modinfo", "-F", "author", "hello"], { encoding: "utf8" })).toBe("wasm-lkm developers\n");
  });

  it("builds an out-of-tree module that loads and taints O", () => {
    const dir = mkdtempSync(join(tmpdir(), "wasm-lkm-oot-"));
    try {
      const header = relative(dir, join(ROOT, "abi/include/kernel"));
      writeFileSync(
        join(dir, "oot_hello.ts"),
        `import { pr_info } from "${header}";\nMODULE_LICENSE("GPL");\n` +
          `export function init_module(): i32 { pr_info("oot here\\n"); return 0; }\n` +
          "export function cleanup_module(): void {}\n",
      );
      const out = join(dir, "out", "oot_hello.wasm");
      expect(execFileSync("node", [cli, "build", join(dir, "oot_hello.ts"), "-o", out], { encoding: "utf8" })).toBe(`${out}\n`);
      const r = spawnSync("node", [cli, "run", "-"], { input: `insmod ${out}\ncat /proc/modules\ndmesg -t\n`, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/^oot_hello \d+ 0 - Live 0x0000000000000000 \(O\)\n/);
      expect(r.stdout).toContain("oot_hello: loading out-of-tree module taints kernel.\noot here\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
