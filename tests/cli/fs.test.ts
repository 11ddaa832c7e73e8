import { describe, expect, it } from "vitest";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import { current } from "../../host/kernel/sched.js";
import { copyToUser } from "../../host/mm/uaccess.js";
import { cliSession } from "../helpers.js";

/** 2023-11-23 02:13:00 UTC: the kernel's wall clock stands there until a test moves it. */
const T0 = 1700705580;

/** A session whose run() gives one line's stdout, stderr and exit status. */
function shell() {
  const clock = { sec: T0 };
  const k = new Kernel({ realtimeNs: () => BigInt(clock.sec) * 1_000_000_000n });
  const { s, out, err } = cliSession(k);
  const run = (line: string) => {
    out.length = 0;
    err.length = 0;
    const status = s.exec(line);
    return { out: out.join(""), err: err.join(""), status };
  };
  return { k, s, clock, run };
}

const ok = (out = "") => ({ out, err: "", status: 0 });
const fail = (err: string, out = "") => ({ out, err, status: 1 });

/** A character device whose reads give `text`, on major 240. */
function registerTextDevice(k: Kernel, text: string): void {
  const bytes = new TextEncoder().encode(text);
  k.chrdevs.register({
    major: 240,
    name: "text",
    fops: {
      read(_file, ubuf, count, pos) {
        const chunk = bytes.subarray(pos, pos + count);
        copyToUser(current().mm, ubuf, chunk);
        return chunk.length;
      },
    },
  });
}

describe("echo and cat", () => {
  it("creates with >, truncates with > again and appends with >>", () => {
    const { run } = shell();
    expect(run("echo hello > /tmp/a")).toEqual(ok());
    expect(run("cat /tmp/a")).toEqual(ok("hello\n"));
    expect(run("echo -n hi > /tmp/a")).toEqual(ok());
    expect(run("echo there>>/tmp/a")).toEqual(ok());
    expect(run("cat /tmp/a /tmp/a")).toEqual(ok("hithere\nhithere\n"));
  });

  it("still writes /proc and /sys files in one write", () => {
    const { run } = shell();
    expect(run("echo 3 > /proc/sys/kernel/printk")).toEqual(ok());
    expect(run("cat /proc/sys/kernel/printk")).toEqual(ok("3\t4\t1\t7\n"));
  });

  it("prints the shell's error for a file it cannot open, and echo's own for a refused write", () => {
    const { run } = shell();
    expect(run("echo x > /nope/a")).toEqual(fail("echo: /nope/a: No such file or directory\n"));
    expect(run("echo x >> /tmp")).toEqual(fail("echo: /tmp: Is a directory\n"));
    expect(run("echo x > /proc/sys/kernel/printk")).toEqual(fail("echo: write error: Invalid argument\n"));
    expect(run("echo x >>")).toEqual(fail("echo: ERROR: expected one path after '>>'\n"));
  });

  it("reads a device node through its driver, and says when there is none", () => {
    const { k, s, run } = shell();
    registerTextDevice(k, "from the driver\n");
    s.libc.mknod("/dev/text", S_IFCHR | 0o666, makedev(240, 0));
    s.libc.mknod("/dev/none", S_IFCHR | 0o666, makedev(241, 0));
    expect(run("cat /dev/text")).toEqual(ok("from the driver\n"));
    expect(run("cat /dev/none /dev/text")).toEqual(fail("cat: /dev/none: No such device or address\n", "from the driver\n"));
  });

  it("reads like coreutils on a missing file or a directory, quoting a name only when it must", () => {
    const { run } = shell();
    expect(run("cat /nope /tmp")).toEqual(fail("cat: /nope: No such file or directory\ncat: /tmp: Is a directory\n"));
    expect(run(`cat "/no such"`)).toEqual(fail("cat: '/no such': No such file or directory\n"));
  });

  it("runs each command as the shell's task, named after the command", () => {
    const { s, run } = shell();
    expect(run("cat /proc/self/comm")).toEqual(ok("cat\n"));
    expect(s.libc.task.comm).toBe("sh");
    expect(run(`cat /proc/${s.libc.task.pid}/comm`)).toEqual(ok("cat\n"));
  });
});
