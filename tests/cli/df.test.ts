// df and stat -f: statfs(2)'s figures in coreutils' layouts.

import { statfsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { humanSize } from "../../host/cli/df.js";
import { cliRunner, scratchDir } from "../helpers.js";
import { haveFatTools, makeImage } from "../fs/fat_images.js";

const scratch = scratchDir("df");
afterAll(() => scratch.cleanup());

function shell() {
  const k = new Kernel();
  return { run: cliRunner(k), libc: k.spawn("t") };
}

describe("df", () => {
  it("leaves out pseudo and empty filesystems, and says so when none is left", async () => {
    const { run } = shell();
    expect(await run("df")).toEqual({ out: "", err: "df: no file systems processed\n", status: 1 });
  });

  it("-a shows them all, zeros and '-' for Use%, in columns as wide as their widest cell", async () => {
    const { run } = shell();
    expect((await run("modprobe ramfs")).status).toBe(0);
    expect((await run("mkdir /a-rather-long-mount-point")).status).toBe(0);
    expect((await run("mount -t ramfs a-long-ramfs-source /a-rather-long-mount-point")).status).toBe(0);
    expect(await run("df -a")).toEqual({
      out: [
        "Filesystem          1K-blocks  Used Available Use% Mounted on",
        "rootfs                      0     0         0    - /",
        "devtmpfs                    0     0         0    - /dev",
        "proc                        0     0         0    - /proc",
        "sysfs                       0     0         0    - /sys",
        "debugfs                     0     0         0    - /sys/kernel/debug",
        "devpts                      0     0         0    - /dev/pts",
        "a-long-ramfs-source         0     0         0    - /a-rather-long-mount-point",
        "",
      ].join("\n"),
      err: "",
      status: 0,
    });
  });

  it("names a FILE's filesystem even when df would leave it out, and fails on a missing one, going on", async () => {
    const { run } = shell();
    expect(await run("df /proc/self /nope -i")).toEqual({
      out: "Filesystem     Inodes IUsed IFree IUse% Mounted on\nproc                0     0     0     - /proc\n",
      err: "df: /nope: No such file or directory\n",
      status: 1,
    });
  });

  it("shows a hostfs mount with its host directory's 1K blocks, and stat -f names it hostfs", async () => {
    const { run } = shell();
    for (const line of ["mkdir /host", `mount -t hostfs none /host -o ${scratch.dir}`]) expect((await run(line)).status).toBe(0);
    const host = statfsSync(scratch.dir);
    const df = await run("df /host");
    expect([df.err, df.status]).toEqual(["", 0]);
    const [, line] = df.out.split("\n");
    expect(line!.split(/ +/)).toEqual(["none", String((host.blocks * host.bsize) / 1024), expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+%$/), "/host"]);
    expect((await run("stat -f /host")).out).toMatch(/^ {2}File: "\/host"\n {4}ID: 0 +Namelen: 255 +Type: hostfs\n/);
  });

  it("-h rounds up in powers of 1024 as human_readable does", async () => {
    expect([0, 1023, 1024, 1536, 1100, 10 * 1024 - 1, 20 << 20, (1 << 30) - 1, 7.5 * 2 ** 20].map(humanSize)).toEqual(["0", "1023", "1.0K", "1.5K", "1.1K", "10K", "20M", "1.0G", "7.5M"]);
  });

  it.skipIf(!haveFatTools)("shows a vfat volume in 1K blocks, -h and -i, Use% rounded up (needs mkfs.fat: skipped without it)", async () => {
    const { run, libc } = shell();
    makeImage(join(scratch.dir, "df.img"), 16, 20480, undefined, ["-s", "4"]);
    for (const line of ["mkdir /host /v", `mount -t hostfs none /host -o ${scratch.dir}`, "mount -t vfat -o loop /host/df.img /v"]) expect((await run(line)).status).toBe(0);
    const fd = libc.open("/v/f", 0o101, 0o644);
    libc.write(fd, new Uint8Array(3 * 2048 + 1));
    libc.close(fd);
    const st = libc.statfs("/v");
    expect(st).toMatchObject({ f_bsize: 2048, f_frsize: 2048 });
    const total = st.f_blocks!;
    const free = st.f_bfree!;
    expect(total - free).toBe(4);
    const pct = Math.ceil(400 / total);
    const k = (n: number) => String(n * 2);
    const w = Math.max(9, k(total).length);
    expect((await run("df /v")).out).toBe(
      `Filesystem     ${"1K-blocks".padStart(w)}  Used ${"Available".padStart(Math.max(9, k(free).length))} Use% Mounted on\n` +
        `/dev/loop0     ${k(total).padStart(w)}     8 ${k(free).padStart(Math.max(9, k(free).length))} ${`${pct}%`.padStart(4)} /v\n`,
    );
    expect((await run("df -h /v")).out).toBe(
      `Filesystem      Size  Used Avail Use% Mounted on\n/dev/loop0       20M  8.0K   20M ${`${pct}%`.padStart(4)} /v\n`,
    );
    expect((await run("df -i /v")).out).toBe("Filesystem     Inodes IUsed IFree IUse% Mounted on\n/dev/loop0          0     0     0     - /v\n");
    expect((await run("stat -f /v")).out).toBe(
      `  File: "/v"\n    ID: 70000000000 Namelen: 1530    Type: msdos\nBlock size: 2048       Fundamental block size: 2048\n` +
        `Blocks: Total: ${String(total).padEnd(10)} Free: ${String(free).padEnd(10)} Available: ${free}\nInodes: Total: 0          Free: 0\n`,
    );
    expect((await run("umount /v")).status).toBe(0);
  });
});

describe("stat -f", () => {
  it("shows the filesystem of each path in coreutils' layout, ramfs's as simple_statfs gives it", async () => {
    const { run } = shell();
    expect((await run("modprobe ramfs")).status).toBe(0);
    expect((await run("mkdir /r")).status).toBe(0);
    expect((await run("mount -t ramfs none /r")).status).toBe(0);
    const block = (path: string, type: string) =>
      `  File: "${path}"\n    ID: 0        Namelen: 255     Type: ${type}\nBlock size: 4096       Fundamental block size: 4096\n` +
      "Blocks: Total: 0          Free: 0          Available: 0\nInodes: Total: 0          Free: 0\n";
    expect(await run("stat -f /r /dev /proc /sys /sys/kernel/debug /")).toEqual({
      out: block("/r", "ramfs") + block("/dev", "tmpfs") + block("/proc", "proc") + block("/sys", "sysfs") + block("/sys/kernel/debug", "debugfs") + block("/", "ramfs"),
      err: "",
      status: 0,
    });
  });

  it("fails as coreutils' does for a missing path, and goes on to the next", async () => {
    const { run } = shell();
    const r = await run("stat -f /nope /proc");
    expect(r.err).toBe("stat: cannot read file system information for '/nope': No such file or directory\n");
    expect(r.out).toContain("Type: proc\n");
    expect(r.status).toBe(1);
  });
});
