// binfmt_script (host/fs/binfmt_script.ts): the #! line read as Linux reads it, argv rewritten as Linux
// rewrites it, and the interpreter opened as a program. The interpreter here is a program that prints its
// argv one per line and exits with argc.

import { beforeEach, describe, expect, it } from "vitest";
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_RDONLY } from "../../abi/fcntl.js";
import { W_EXITCODE } from "../../abi/signal.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { bootWithStdout, ECHO, install } from "../exec_helpers.js";
import { expectErrno } from "../helpers.js";
import { neg, sys, userString } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
let stdout: () => string;
beforeEach(() => ({ k, libc, stdout } = bootWithStdout()));

/** Run /tmp/s holding `script` with argv; the interpreter's argv, or the errno. */
function argvOf(script: string | Uint8Array, argv = ["s", "a"], path = "/tmp/s"): string[] {
  install(libc, "/tmp/s", script);
  const before = stdout().length;
  const status = k.fork(libc).execve(path, argv);
  const lines = stdout().slice(before).split("\n").slice(0, -1);
  expect(status).toBe(W_EXITCODE(lines.length));
  return lines;
}

describe("the #! line", () => {
  it("puts the interpreter in front and the script's name in place of argv[0]", () => {
    expect(argvOf("#!/tmp/echo\nrest of the script\n", ["zero", "a", "b"])).toEqual(["/tmp/echo", "/tmp/s", "a", "b"]);
  });

  it("passes everything after the interpreter as one argument, blanks around it trimmed", () => {
    expect(argvOf("#!  /tmp/echo   -x  y \t\n")).toEqual(["/tmp/echo", "-x  y", "/tmp/s", "a"]);
    expect(argvOf("#!\t/tmp/echo\targ\n")).toEqual(["/tmp/echo", "arg", "/tmp/s", "a"]);
  });

  it("gives the interpreter the name the script was run by, and drops an empty argv[0]", () => {
    libc.chdir("/tmp");
    expect(argvOf("#!/tmp/echo\n", ["whatever"], "s")).toEqual(["/tmp/echo", "s"]);
    expect(argvOf("#!/tmp/echo\n", [])).toEqual(["/tmp/echo", "/tmp/s"]);
  });

  it("ends the line at a NUL, and takes a line with no newline up to the buffer's last byte", () => {
    expect(argvOf("#!/tmp/echo\0 ignored\n")).toEqual(["/tmp/echo", "/tmp/s", "a"]);
    expect(argvOf(`#!/tmp/echo ${"x".repeat(300)}`)).toEqual(["/tmp/echo", "x".repeat(243), "/tmp/s", "a"]);
  });

  it("passes an empty argument for a blank after the name at the end of a short file, as Linux does", () => {
    expect(argvOf("#!/tmp/echo ")).toEqual(["/tmp/echo", "", "/tmp/s", "a"]);
  });

  it("is ENOEXEC with no interpreter named, or one the buffer cuts short", () => {
    for (const line of ["#!\n", "#!  \t \n", `#!/${"a".repeat(300)}`, `#!${" ".repeat(300)}`]) {
      install(libc, "/tmp/s", line);
      expectErrno(() => libc.execve("/tmp/s", ["s"]), "ENOEXEC");
    }
    // "#!" and nothing else names the empty path: ENOENT, as on Linux.
    install(libc, "/tmp/s", "#!");
    expectErrno(() => libc.execve("/tmp/s", ["s"]), "ENOENT");
  });
});

describe("the interpreter", () => {
  it("must exist and be executable: ENOENT, EACCES", () => {
    install(libc, "/tmp/s", "#!/tmp/missing\n");
    expectErrno(() => libc.execve("/tmp/s", ["s"]), "ENOENT");
    install(libc, "/tmp/plain", ECHO, 0o644);
    install(libc, "/tmp/s", "#!/tmp/plain\n");
    expectErrno(() => libc.execve("/tmp/s", ["s"]), "EACCES");
    install(libc, "/tmp/s", "#!/tmp\n");
    expectErrno(() => libc.execve("/tmp/s", ["s"]), "EACCES");
    expect(libc.task.exitCode).toBe(null);
  });

  it("may itself be a script: each level's interpreter and argument go in front", () => {
    install(libc, "/tmp/s2", "#!/tmp/echo two\n");
    expect(argvOf("#!/tmp/s2 one\n")).toEqual(["/tmp/echo", "two", "/tmp/s2", "one", "/tmp/s", "a"]);
  });

  it("gets /dev/fd/N/NAME for a script execveat runs relative to a descriptor, and ENOENT if that closes on exec", () => {
    install(libc, "/tmp/s", "#!/tmp/echo\n");
    const child = k.fork(libc);
    const dir = child.open("/tmp", O_RDONLY | O_DIRECTORY);
    expect(sys(child, "execveat", dir, userString(child, "s"), 0, 0, 0)).toBe(0);
    expect(stdout()).toBe(`/tmp/echo\n/dev/fd/${dir}/s\n`);
    const hidden = libc.open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    expect(sys(libc, "execveat", hidden, userString(libc, "s"), 0, 0, 0)).toBe(neg("ENOENT"));
    expect(sys(libc, "execveat", AT_FDCWD, userString(libc, "/tmp/s"), 0, 0, 0)).toBe(0);
  });
});
