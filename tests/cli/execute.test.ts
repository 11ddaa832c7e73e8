// The shell running a file as a program (host/cli/execute.ts): a command word with a '/' is forked and
// exec'd with the words as argv, its output on the session's terminal, its status the shell's.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import type { Session } from "../../host/cli/session.js";
import { ECHO, install, program, wat, watSyscall, writeAndExit } from "../exec_helpers.js";
import { cliSession } from "../helpers.js";

let k: Kernel;
let s: Session;
let out: string[];
let err: string[];
beforeEach(() => {
  k = new Kernel();
  ({ s, out, err } = cliSession(k));
  install(s.libc, "/tmp/echo", ECHO);
});

/** Run one line: its status, and what it printed on stdout and stderr. */
function run(line: string): [number, string, string] {
  out.length = err.length = 0;
  return [s.exec(line), out.join(""), err.join("")];
}

describe("a path as a command", () => {
  it("runs the program with the words as argv; the status is its exit status", () => {
    expect(run("/tmp/echo a 'b c'")).toEqual([3, "/tmp/echo\na\nb c\n", ""]);
    expect(s.status).toBe(3);
  });

  it("walks a relative path from the shell's cwd", () => {
    s.exec("cd /tmp");
    expect(run("./echo x")).toEqual([2, "./echo\nx\n", ""]);
    expect(run("../tmp/echo")).toEqual([1, "../tmp/echo\n", ""]);
  });

  it("runs scripts through their interpreter", () => {
    install(s.libc, "/tmp/s", "#!/tmp/echo -v\n");
    expect(run("/tmp/s arg")).toEqual([4, "/tmp/echo\n-v\n/tmp/s\narg\n", ""]);
  });

  it("shows a program's standard error on the terminal too", () => {
    install(s.libc, "/tmp/warn", wat(program(`(data (i32.const 16) "oops\\n")
      (func (export "_start") (drop ${watSyscall(1, "(i32.const 2)", "(i32.const 16)", "(i32.const 5)")}))`)));
    expect(run("/tmp/warn")).toEqual([0, "oops\n", ""]);
  });

  it("is 127 for no such file and 126 for one that cannot be executed, with the reason on stderr", () => {
    install(s.libc, "/tmp/plain", "just text\n", 0o644);
    install(s.libc, "/tmp/text", "just text\n");
    expect(run("/tmp/nope")).toEqual([127, "", "wasm-lkm: /tmp/nope: No such file or directory\n"]);
    expect(run("/tmp/plain")).toEqual([126, "", "wasm-lkm: /tmp/plain: Permission denied\n"]);
    expect(run("/tmp/text")).toEqual([126, "", "wasm-lkm: /tmp/text: Exec format error\n"]);
    expect(run("-/tmp/nope")[0]).toBe(127);
  });

  it("is 128 + the signal for a program a trap killed, naming the signal", () => {
    install(s.libc, "/tmp/crash", wat(program(`(func (export "_start") (drop (i32.load (i32.const -16))))`)));
    expect(run("/tmp/crash")).toEqual([139, "", "Segmentation fault\n"]);
  });

  it("waits for the child, which is gone afterwards; the shell keeps its task, cwd and terminal", () => {
    install(s.libc, "/tmp/bye", writeAndExit("bye\n", 9));
    const before = k.tasks.pids();
    expect(run("/tmp/bye")).toEqual([9, "bye\n", ""]);
    expect(k.tasks.pids()).toEqual(before);
    expect(run("pwd")).toEqual([0, "/\n", ""]);
    expect(s.libc.readlink("/proc/self/fd/1")).toBe("/dev/pts/0");
  });
});
