import { describe, expect, it } from "vitest";
import { errno } from "../../abi/errno.js";
import { O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { FileOperations } from "../../host/fs/fs.js";
import { Kernel } from "../../host/init/main.js";
import { current } from "../../host/kernel/sched.js";
import { copyToUser } from "../../host/mm/uaccess.js";
import { cliRunner, cliSession, ownerModule } from "../helpers.js";

/** 2023-11-23 02:13:00.123456789 UTC: the kernel's wall clock stands there until a test moves it. */
const T0 = 1700705580_123456789n;
const DAY = 86400_000_000_000n;

/** A session whose run() gives one line's stdout, stderr and exit status. */
function shell() {
  const clock = { ns: T0 };
  const k = new Kernel({ realtimeNs: () => clock.ns });
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
  const fops: FileOperations = {
    read(_file, ubuf, count, pos) {
      const chunk = bytes.subarray(pos, pos + count);
      copyToUser(current().mm, ubuf, chunk);
      return chunk.length;
    },
  };
  k.chrdevs.register(240, "text", fops, null);
}

describe("echo -e", () => {
  it("writes any byte with \\xHH and \\0NNN, reads \\t \\n \\\\, and stops at \\c", () => {
    const { s, run } = shell();
    expect(run("echo -e '\\xca\\xfe\\0101\\tA\\\\' > /tmp/b")).toEqual(ok());
    expect([...s.libc.readFile("/tmp/b")]).toEqual([0xca, 0xfe, 0x41, 0x09, 0x41, 0x5c, 0x0a]);
    expect(run("echo -ne 'x\\cy'")).toEqual(ok("x"));
    expect(run("echo -e -E '\\tz'")).toEqual(ok("\\tz\n"));
    expect(run("echo -x '\\t'")).toEqual(ok("-x \\t\n"));
  });
});

describe("chmod", () => {
  it("takes octal and symbolic modes, clauses joined by commas", () => {
    const { s, run } = shell();
    run("echo x > /tmp/f");
    const mode = () => s.libc.stat("/tmp/f").mode & 0o7777;
    expect(run("chmod 4750 /tmp/f")).toEqual(ok());
    expect(mode()).toBe(0o4750);
    expect(run("chmod u-s,g+w,o=r /tmp/f")).toEqual(ok());
    expect(mode()).toBe(0o774);
    expect(run("chmod a-x,g=u /tmp/f")).toEqual(ok());
    expect(mode()).toBe(0o664);
    expect(run("chmod +x /tmp/f")).toEqual(ok());
    expect(mode()).toBe(0o775);
    run("mkdir /tmp/d");
    run("chmod a-x /tmp/d");
    expect(run("chmod a+X /tmp/d /tmp/f")).toEqual(ok());
    expect(s.libc.stat("/tmp/d").mode & 0o777).toBe(0o755);
  });

  it("words its errors as coreutils does", () => {
    const { run } = shell();
    expect(run("chmod")).toEqual(fail("chmod: missing operand\n"));
    expect(run("chmod 755")).toEqual(fail("chmod: missing operand after '755'\n"));
    expect(run("chmod u+q /tmp")).toEqual(fail("chmod: invalid mode: 'u+q'\n"));
    expect(run("chmod 8 /tmp")).toEqual(fail("chmod: invalid mode: '8'\n"));
    expect(run("chmod 644 /nope")).toEqual(fail("chmod: cannot access '/nope': No such file or directory\n"));
    run("mkdir /mnt/ro");
    run("syscall mount none /mnt/ro devtmpfs 1 0");
    expect(run("chmod 700 /mnt/ro")).toEqual(fail("chmod: changing permissions of '/mnt/ro': Read-only file system\n"));
  });
});

describe("chown", () => {
  it("takes OWNER, OWNER:GROUP and :GROUP as numeric ids, following a symlink unless -h", () => {
    const { s, run } = shell();
    run("echo x > /tmp/f");
    run("ln -s f /tmp/l");
    const ids = (path: string) => [s.libc.lstat(path).uid, s.libc.lstat(path).gid];
    expect(run("chown 1000 /tmp/f")).toEqual(ok());
    expect(ids("/tmp/f")).toEqual([1000, 0]);
    expect(run("chown 7:8 /tmp/l")).toEqual(ok());
    expect([ids("/tmp/f"), ids("/tmp/l")]).toEqual([[7, 8], [0, 0]]);
    expect(run("chown :9 /tmp/f")).toEqual(ok());
    expect(ids("/tmp/f")).toEqual([7, 9]);
    expect(run("chown -h 3:4 /tmp/l")).toEqual(ok());
    expect([ids("/tmp/f"), ids("/tmp/l")]).toEqual([[7, 9], [3, 4]]);
  });

  it("words its errors as coreutils does", () => {
    const { run } = shell();
    expect(run("chown")).toEqual(fail("chown: missing operand\n"));
    expect(run("chown 1")).toEqual(fail("chown: missing operand after '1'\n"));
    expect(run("chown bob /tmp")).toEqual(fail("chown: invalid user: 'bob'\n"));
    expect(run("chown 1:staff /tmp")).toEqual(fail("chown: invalid group: '1:staff'\n"));
    expect(run("chown 1: /tmp")).toEqual(fail("chown: invalid spec: '1:'\n"));
    expect(run("chown 1 /nope")).toEqual(fail("chown: cannot access '/nope': No such file or directory\n"));
    run("mkdir /mnt/ro");
    run("syscall mount none /mnt/ro devtmpfs 1 0");
    expect(run("chown 1 /mnt/ro")).toEqual(fail("chown: changing ownership of '/mnt/ro': Read-only file system\n"));
  });
});

describe("touch", () => {
  it("creates a missing file and sets both times to now, or to -d DATE or -t STAMP; -a and -m change one", () => {
    const { s, run } = shell();
    const t = (path: string) => {
      const st = s.libc.stat(path);
      return [st.atime, st.atimeNsec, st.mtime, st.mtimeNsec];
    };
    expect(run("touch /tmp/new")).toEqual(ok());
    expect(t("/tmp/new")).toEqual([1700705580, 123456789, 1700705580, 123456789]);
    expect(run("touch -d '2001-09-09 01:46:40.5' /tmp/new")).toEqual(ok());
    expect(t("/tmp/new")).toEqual([1_000_000_000, 500_000_000, 1_000_000_000, 500_000_000]);
    expect(run("touch -t 200411091133.20 /tmp/new")).toEqual(ok());
    expect(t("/tmp/new")).toEqual([1_100_000_000, 0, 1_100_000_000, 0]);
    expect(run("touch -m -d @1200000000 /tmp/new")).toEqual(ok());
    expect(t("/tmp/new")).toEqual([1_100_000_000, 0, 1_200_000_000, 0]);
    expect(run("touch -a -t 7001010000 /tmp/new")).toEqual(ok());
    expect(t("/tmp/new")).toEqual([0, 0, 1_200_000_000, 0]);
    expect(run("touch -c /tmp/absent")).toEqual(ok());
    expect(run("ls /tmp")).toEqual(ok("new\n"));
    run("ln -s new /tmp/l");
    expect(run("touch -h -d 2000-01-01 /tmp/l")).toEqual(ok());
    expect([s.libc.lstat("/tmp/l").mtime, s.libc.stat("/tmp/l").mtime]).toEqual([946684800, 1_200_000_000]);
  });

  it("words its errors as coreutils does", () => {
    const { run } = shell();
    expect(run("touch -d tomorrow /tmp/f")).toEqual(fail("touch: invalid date format 'tomorrow'\n"));
    expect(run("touch -t 201302301200 /tmp/f")).toEqual(fail("touch: invalid date format '201302301200'\n"));
    expect(run("touch -d 2001-01-01 -t 200101010000 /tmp/f")).toEqual(fail("touch: cannot specify times from more than one source\n"));
    expect(run("touch /nope/f")).toEqual(fail("touch: cannot touch '/nope/f': No such file or directory\n"));
    expect(run("touch -h /tmp/absent")).toEqual(fail("touch: setting times of '/tmp/absent': No such file or directory\n"));
    run("mkdir /mnt/ro");
    run("syscall mount none /mnt/ro devtmpfs 1 0");
    // open(O_WRONLY) of a directory is EISDIR before the mount's EROFS, and coreutils reports the open's error.
    expect(run("touch /mnt/ro")).toEqual(fail("touch: cannot touch '/mnt/ro': Is a directory\n"));
    expect(run("touch /mnt/ro/f")).toEqual(fail("touch: cannot touch '/mnt/ro/f': Read-only file system\n"));
  });
});

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

describe("cat of a device that waits", () => {
  it("prints what it reads as it comes, and after ten simulated seconds gives up as Ctrl-C would (status 130)", async () => {
    const k = new Kernel();
    const run = cliRunner(k);
    expect(await run("hw attach uart16550")).toEqual(ok("uart0: uart16550 at 0x3f8 irq 4\n"));
    expect(await run("insmod serial16550")).toEqual(ok());
    expect(await run("hw type uart0 hello")).toEqual(ok());
    const before = k.clock.nowNs;
    expect(await run("cat /dev/ttyS0")).toEqual({ out: "hello\n", err: "", status: 130 });
    expect(k.clock.nowNs - before).toBe(10e9);
  });
});

describe("cd and pwd", () => {
  it("keeps the working directory from line to line, so relative paths work", () => {
    const { run } = shell();
    expect(run("pwd")).toEqual(ok("/\n"));
    expect(run("cd /tmp")).toEqual(ok());
    expect(run("echo hi > rel")).toEqual(ok());
    expect(run("pwd")).toEqual(ok("/tmp\n"));
    expect(run("cat /tmp/rel")).toEqual(ok("hi\n"));
    expect(run("cd")).toEqual(ok());
    expect(run("pwd")).toEqual(ok("/\n"));
    expect(run("cat tmp/rel")).toEqual(ok("hi\n"));
  });

  it("says why it cannot change directory", () => {
    const { run } = shell();
    run("echo x > /tmp/f");
    expect(run("cd /nope")).toEqual(fail("cd: /nope: No such file or directory\n"));
    expect(run("cd /tmp/f")).toEqual(fail("cd: /tmp/f: Not a directory\n"));
    expect(run("pwd")).toEqual(ok("/\n"));
  });
});

describe("mkdir and rmdir", () => {
  it("makes a directory, and with -p its parents and none of the errors for existing ones", () => {
    const { run } = shell();
    expect(run("mkdir /tmp/a")).toEqual(ok());
    expect(run("mkdir /tmp/a /tmp/b")).toEqual(fail("mkdir: cannot create directory '/tmp/a': File exists\n"));
    expect(run("mkdir /tmp")).toEqual(fail("mkdir: cannot create directory '/tmp': File exists\n"));
    expect(run("mkdir /tmp/x/y")).toEqual(fail("mkdir: cannot create directory '/tmp/x/y': No such file or directory\n"));
    expect(run("mkdir -p /tmp/x/y/z /tmp/a")).toEqual(ok());
    expect(run("cd /tmp/x/y/z")).toEqual(ok());
    expect(run("mkdir -p /tmp")).toEqual(ok());
  });

  it("names the path that is in the way under -p", () => {
    const { run } = shell();
    run("echo x > /tmp/f");
    expect(run("mkdir -p /tmp/f/g")).toEqual(fail("mkdir: cannot create directory '/tmp/f/g': Not a directory\n"));
    expect(run("mkdir -p /tmp/f")).toEqual(fail("mkdir: cannot create directory '/tmp/f': File exists\n"));
  });

  it("removes only empty directories", () => {
    const { run } = shell();
    run("mkdir -p /tmp/x/y");
    expect(run("rmdir /tmp/x")).toEqual(fail("rmdir: failed to remove '/tmp/x': Directory not empty\n"));
    expect(run("rmdir /tmp/x/y /tmp/x")).toEqual(ok());
    expect(run("rmdir /tmp/x")).toEqual(fail("rmdir: failed to remove '/tmp/x': No such file or directory\n"));
    expect(run("rmdir /proc")).toEqual(fail("rmdir: failed to remove '/proc': Device or resource busy\n"));
  });
});

describe("rm", () => {
  it("removes files, directories only with -r, and missing ones quietly with -f", () => {
    const { run } = shell();
    run("mkdir -p /tmp/d/e");
    run("echo x > /tmp/d/e/f");
    run("echo x > /tmp/g");
    expect(run("rm /tmp/d")).toEqual(fail("rm: cannot remove '/tmp/d': Is a directory\n"));
    expect(run("rm /tmp/g /tmp/g")).toEqual(fail("rm: cannot remove '/tmp/g': No such file or directory\n"));
    expect(run("rm -r /tmp/d")).toEqual(ok());
    expect(run("cd /tmp/d")).toEqual(fail("cd: /tmp/d: No such file or directory\n"));
    expect(run("rm -f /tmp/d /tmp/nope")).toEqual(ok());
  });

  it("removes a symlink, not what it points to", () => {
    const { run } = shell();
    run("mkdir /tmp/d");
    run("echo kept > /tmp/d/f");
    run("ln -s /tmp/d /tmp/l");
    expect(run("rm -r /tmp/l")).toEqual(ok());
    expect(run("cat /tmp/d/f")).toEqual(ok("kept\n"));
  });

  it("refuses '.', '..' and / under -r", () => {
    const { run } = shell();
    run("cd /tmp");
    expect(run("rm -r . ..")).toEqual(
      fail("rm: refusing to remove '.' or '..' directory: skipping '.'\nrm: refusing to remove '.' or '..' directory: skipping '..'\n"),
    );
    expect(run("rm -rf //")).toEqual(
      fail("rm: it is dangerous to operate recursively on '//' (same as '/')\nrm: use --no-preserve-root to override this failsafe\n"),
    );
  });

  it("removes a tree 3,000 directories deep, past PATH_MAX, without recursion", () => {
    const { s, run } = shell();
    run("mkdir /tmp/deep");
    s.libc.chdir("/tmp/deep");
    for (let i = 0; i < 3000; i++) {
      s.libc.mkdir("dir");
      s.libc.chdir("dir");
    }
    s.libc.mkdir("bottom");
    s.libc.close(s.libc.open("file", O_CREAT | O_WRONLY));
    s.libc.chdir("/");
    expect(run("rm -r /tmp/deep")).toEqual(ok());
    expect(run("ls /tmp")).toEqual(ok());
    expect(s.libc.open("/", O_RDONLY)).toBe(3);
  });

  it("goes through unlinkat, so a module that overrides it decides, and rm -r keeps the directory", () => {
    const { k, run } = shell();
    run("mkdir /tmp/d");
    run("echo x > /tmp/d/f");
    const guard = ownerModule("unlink_guard");
    k.syscalls.override(guard, SYSCALLS.unlinkat, () => -errno("EPERM"));
    expect(run("rm -r /tmp/d")).toEqual(fail("rm: cannot remove '/tmp/d/f': Operation not permitted\n"));
    k.syscalls.removeOwner(guard);
    expect(run("cat /tmp/d/f")).toEqual(ok("x\n"));
  });
});

describe("mv", () => {
  it("renames, and moves into a directory", () => {
    const { run } = shell();
    run("mkdir /tmp/d");
    run("echo x > /tmp/a");
    run("echo y > /tmp/b");
    expect(run("mv /tmp/a /tmp/c")).toEqual(ok());
    expect(run("mv /tmp/c /tmp/b /tmp/d")).toEqual(ok());
    expect(run("cat /tmp/d/c /tmp/d/b")).toEqual(ok("x\ny\n"));
  });

  it("says which end is wrong", () => {
    const { run } = shell();
    run("echo x > /tmp/a");
    expect(run("mv /tmp/nope /tmp/b")).toEqual(fail("mv: cannot stat '/tmp/nope': No such file or directory\n"));
    expect(run("mv /tmp/a /tmp/b/c")).toEqual(fail("mv: cannot move '/tmp/a' to '/tmp/b/c': No such file or directory\n"));
    expect(run("mv /tmp/a /proc/a")).toEqual(fail("mv: cannot move '/tmp/a' to '/proc/a': Invalid cross-device link\n"));
    expect(run("mv /tmp/a /tmp/a /tmp/a")).toEqual(fail("mv: target '/tmp/a' is not a directory\n"));
    expect(run("mv /tmp/a")).toEqual(fail("mv: missing destination file operand after '/tmp/a'\n"));
  });
});

describe("ln", () => {
  it("makes a symbolic link, into a directory when LINK is one", () => {
    const { run } = shell();
    run("echo x > /tmp/a");
    run("mkdir /tmp/d");
    expect(run("ln -s /tmp/a /tmp/l")).toEqual(ok());
    expect(run("ln -s /tmp/a /tmp/d")).toEqual(ok());
    expect(run("cat /tmp/l /tmp/d/a")).toEqual(ok("x\nx\n"));
  });

  it("fails as coreutils' ln does", () => {
    const { run } = shell();
    run("ln -s /tmp/a /tmp/l");
    expect(run("ln -s /tmp/b /tmp/l")).toEqual(fail("ln: failed to create symbolic link '/tmp/l': File exists\n"));
    expect(run("ln /tmp/a /tmp/h")).toEqual(fail("ln: failed to create hard link '/tmp/h' => '/tmp/a': Function not implemented\n"));
  });
});

describe("mknod", () => {
  it("makes device nodes and FIFOs", () => {
    const { k, run } = shell();
    registerTextDevice(k, "via mknod\n");
    expect(run("mknod /dev/text c 240 0")).toEqual(ok());
    expect(run("mknod /tmp/fifo p")).toEqual(ok());
    expect(run("cat /dev/text")).toEqual(ok("via mknod\n"));
    expect(run("cat /tmp/fifo")).toEqual(fail("cat: /tmp/fifo: No such device or address\n"));
    expect(run("mknod /dev/text c 240 0")).toEqual(fail("mknod: /dev/text: File exists\n"));
  });

  it("checks its operands as coreutils' mknod does", () => {
    const { run } = shell();
    expect(run("mknod /dev/x p 1 2")).toEqual(fail("mknod: Fifos do not have major and minor device numbers.\n"));
    expect(run("mknod /dev/x c 1")).toEqual(fail("mknod: missing operand after '1'\nSpecial files require major and minor device numbers.\n"));
    expect(run("mknod /dev/x q")).toEqual(fail("mknod: invalid device type 'q'\n"));
    expect(run("mknod /dev/x b 4096 0")).toEqual(fail("mknod: invalid major device number '4096'\n"));
    expect(run("mknod /dev/x b 1 zero")).toEqual(fail("mknod: invalid minor device number 'zero'\n"));
  });
});

describe("ls", () => {
  /** /tmp/d holding one of each kind of file, and a dot file. */
  function populated() {
    const sh = shell();
    for (const line of [
      "mkdir -p /tmp/d/sub", "echo hello > /tmp/d/file", "echo > /tmp/d/.hidden", "ln -s file /tmp/d/link",
      "mknod /tmp/d/null c 1 3", "mknod /tmp/d/disk b 259 12", "mknod /tmp/d/fifo p",
    ]) expect(sh.run(line).status).toBe(0);
    return sh;
  }

  it("lists sorted names one a line, dot entries only with -a", () => {
    const { run } = populated();
    expect(run("ls /")).toEqual(ok("dev\nmnt\nproc\nsys\ntmp\n"));
    expect(run("ls /tmp/d")).toEqual(ok("disk\nfifo\nfile\nlink\nnull\nsub\n"));
    expect(run("ls -a /tmp/d/sub")).toEqual(ok(".\n..\n"));
    expect(run("ls -a /tmp/d").out).toBe(".\n..\n.hidden\ndisk\nfifo\nfile\nlink\nnull\nsub\n");
  });

  it("lists the working directory by default, and a file by its name", () => {
    const { run } = populated();
    run("cd /tmp/d");
    expect(run("ls").out).toBe("disk\nfifo\nfile\nlink\nnull\nsub\n");
    expect(run("ls file")).toEqual(ok("file\n"));
  });

  it("gives -l in coreutils' long format, with device numbers and link targets", () => {
    const { run } = populated();
    expect(run("ls -l /tmp/d")).toEqual(
      ok(
        "total 4\n" +
          "brw-r--r-- 1 root root 259, 12 Nov 23 02:13 disk\n" +
          "prw-r--r-- 1 root root       0 Nov 23 02:13 fifo\n" +
          "-rw-r--r-- 1 root root       6 Nov 23 02:13 file\n" +
          "lrwxrwxrwx 1 root root       4 Nov 23 02:13 link -> file\n" +
          "crw-r--r-- 1 root root   1,  3 Nov 23 02:13 null\n" +
          "drwxr-xr-x 2 root root       0 Nov 23 02:13 sub\n",
      ),
    );
    expect(run("ls -l /tmp/d/link")).toEqual(ok("lrwxrwxrwx 1 root root 4 Nov 23 02:13 /tmp/d/link -> file\n"));
  });

  it("shows the year for a date over six months old or in the future", () => {
    const { clock, run } = populated();
    clock.ns = T0 + 200n * DAY;
    expect(run("ls -l /tmp/d/file").out).toBe("-rw-r--r-- 1 root root 6 Nov 23  2023 /tmp/d/file\n");
    clock.ns = T0 + 100n * DAY;
    expect(run("ls -l /tmp/d/file").out).toBe("-rw-r--r-- 1 root root 6 Nov 23 02:13 /tmp/d/file\n");
    clock.ns = T0 - DAY;
    expect(run("ls -l /tmp/d/file").out).toBe("-rw-r--r-- 1 root root 6 Nov 23  2023 /tmp/d/file\n");
  });

  it("lists files first, then each directory under its name, and goes on past a missing one: status 2, as coreutils", () => {
    const { run } = populated();
    expect(run("ls /tmp/d/sub /nope /tmp/d/file /dev")).toEqual({
      ...fail("ls: cannot access '/nope': No such file or directory\n", "/tmp/d/file\n\n/dev:\nconsole\nptmx\npts\ntty\n\n/tmp/d/sub:\n"), status: 2,
    });
  });

  it("follows a symlink to a directory it is given, unless -l", () => {
    const { run } = populated();
    run("ln -s /tmp/d/sub /tmp/s");
    run("echo x > /tmp/d/sub/inside");
    expect(run("ls /tmp/s")).toEqual(ok("inside\n"));
    expect(run("ls -l /tmp/s")).toEqual(ok("lrwxrwxrwx 1 root root 10 Nov 23 02:13 /tmp/s -> /tmp/d/sub\n"));
  });
});

describe("stat", () => {
  it("prints coreutils' layout for a regular file", () => {
    const { run } = shell();
    run("echo hello > /tmp/f");
    expect(run("stat /tmp/f")).toEqual(
      ok(
        "  File: /tmp/f\n" +
          "  Size: 6         \tBlocks: 8          IO Block: 4096   regular file\n" +
          "Device: 0,1\tInode: 7           Links: 1\n" +
          "Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)\n" +
          "Access: 2023-11-23 02:13:00.123456789 +0000\n" +
          "Modify: 2023-11-23 02:13:00.123456789 +0000\n" +
          "Change: 2023-11-23 02:13:00.123456789 +0000\n" +
          " Birth: -\n",
      ),
    );
  });

  it("names the kind of file, shows a symlink's target and a device's numbers", () => {
    const { run } = shell();
    run("echo -n > /tmp/empty");
    run("ln -s empty /tmp/l");
    run("mknod /tmp/n c 1 3");
    const lines = (path: string) => run(`stat ${path}`).out.split("\n");
    expect(lines("/tmp/empty")[1]).toBe("  Size: 0         \tBlocks: 0          IO Block: 4096   regular empty file");
    expect(lines("/tmp/l").slice(0, 2)).toEqual(["  File: /tmp/l -> empty", "  Size: 5         \tBlocks: 0          IO Block: 4096   symbolic link"]);
    expect(lines("/tmp/n")[2]).toBe("Device: 0,1\tInode: 9           Links: 1     Device type: 1,3");
    expect(lines("/tmp")[1]).toBe("  Size: 0         \tBlocks: 0          IO Block: 4096   directory");
  });

  it("fails as coreutils' stat does, and goes on to the next file", () => {
    const { run } = shell();
    const r = run(`stat /nope "/it's" /`);
    expect(r.err).toBe(`stat: cannot statx '/nope': No such file or directory\nstat: cannot statx "/it's": No such file or directory\n`);
    expect(r.out).toMatch(/^ {2}File: \/\n/);
    expect(r.status).toBe(1);
  });
});

describe("mount and umount", () => {
  const BOOT_MOUNTS =
    "rootfs on / type rootfs (rw,relatime)\n" +
    "devtmpfs on /dev type devtmpfs (rw,relatime)\n" +
    "proc on /proc type proc (rw,relatime)\n" +
    "sysfs on /sys type sysfs (rw,relatime)\n" +
    "debugfs on /sys/kernel/debug type debugfs (rw,relatime)\n" +
    "devpts on /dev/pts type devpts (rw,nosuid,noexec,relatime,mode=620,ptmxmode=000)\n";

  it("lists the mounts as util-linux does, all or of one type", () => {
    const { run } = shell();
    expect(run("mount")).toEqual(ok(BOOT_MOUNTS));
    expect(run("mount -t proc")).toEqual(ok("proc on /proc type proc (rw,relatime)\n"));
  });

  it("mounts a new filesystem, and unmounts it", () => {
    const { run } = shell();
    run(`mkdir "/tmp/a b"`);
    expect(run(`mount -t devtmpfs none "/tmp/a b"`)).toEqual(ok());
    expect(run(`mknod "/tmp/a b/null" c 1 3`)).toEqual(ok());
    expect(run(`ls "/tmp/a b"`)).toEqual(ok("null\n"));
    expect(run("mount -t devtmpfs")).toEqual(ok("devtmpfs on /dev type devtmpfs (rw,relatime)\nnone on /tmp/a b type devtmpfs (rw,relatime)\n"));
    expect(run(`umount "/tmp/a b"`)).toEqual(ok());
    expect(run(`ls "/tmp/a b"`)).toEqual(ok());
    expect(run("mount")).toEqual(ok(BOOT_MOUNTS));
  });

  it("words a refused mount as util-linux does", () => {
    const { run } = shell();
    run("echo x > /tmp/f");
    expect(run("mount -t foo none /mnt")).toEqual(fail("mount: /mnt: unknown filesystem type 'foo'.\n"));
    expect(run("mount -t devtmpfs none /mnt/x")).toEqual(fail("mount: /mnt/x: mount point does not exist.\n"));
    expect(run("mount -t devtmpfs none /tmp/f")).toEqual(fail("mount: /tmp/f: mount point is not a directory.\n"));
    expect(run("mount /mnt")).toEqual(fail("mount: /mnt: can't find in /etc/fstab.\n"));
    expect(run("mount none /mnt")).toEqual(fail("mount: /mnt: no filesystem type specified.\n"));
  });

  it("refuses to unmount while the shell's cwd is inside, as any user would", () => {
    const { run } = shell();
    run("mount -t devtmpfs devtmpfs /mnt");
    run("cd /mnt");
    expect(run("umount /mnt")).toEqual(fail("umount: /mnt: target is busy.\n"));
    run("cd /");
    expect(run("umount /mnt")).toEqual(ok());
    expect(run("umount /mnt")).toEqual(fail("umount: /mnt: not mounted.\n"));
    expect(run("umount /nope")).toEqual(fail("umount: /nope: no mount point specified.\n"));
  });
});

describe("syscall", () => {
  it("calls by name or number, as the shell's task", () => {
    const { s, run } = shell();
    expect(run("syscall getpid")).toEqual(ok(`syscall(getpid) = ${s.libc.task.pid}\n`));
    expect(run("syscall 39")).toEqual(ok(`syscall(getpid) = ${s.libc.task.pid}\n`));
  });

  it("passes numbers as they are and other words as C strings", () => {
    const { run } = shell();
    expect(run("syscall mkdir /tmp/d 0700")).toEqual(ok("syscall(mkdir) = 0\n"));
    expect(run("syscall openat -100 /tmp/d/f 0x41 0644")).toEqual(ok("syscall(openat) = 3\n"));
    expect(run("syscall write 3 hello 5")).toEqual(ok("syscall(write) = 5\n"));
    expect(run("syscall close 3")).toEqual(ok("syscall(close) = 0\n"));
    expect(run("cat /tmp/d/f")).toEqual(ok("hello"));
    expect(run("ls -l /tmp")).toEqual(ok("total 0\ndrwx------ 2 root root 0 Nov 23 02:13 d\n"));
  });

  it("prints a refusal strace-style and fails", () => {
    const { run } = shell();
    expect(run("syscall unlink /nope")).toEqual(fail("", "syscall(unlink) = -1 ENOENT (No such file or directory)\n"));
    expect(run("syscall 400")).toEqual(fail("", "syscall(400) = -1 ENOSYS (Function not implemented)\n"));
    expect(run("syscall nosuch 1")).toEqual(fail("syscall: ERROR: unknown system call 'nosuch'\n"));
  });

  it("reaches a handler a module laid over the built-in one", () => {
    const { k, run } = shell();
    k.syscalls.override(ownerModule("fake_pid"), SYSCALLS.getpid, () => 1234);
    expect(run("syscall getpid")).toEqual(ok("syscall(getpid) = 1234\n"));
  });
});
