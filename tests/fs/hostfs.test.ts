// hostfs: a host directory mounted in the kernel, read-write, and confined to that directory.

import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { SuperBlock } from "../../host/fs/fs.js";
import { HostfsUser } from "../../host/fs/hostfs/hostfs_user.js";
import { Kernel } from "../../host/init/main.js";
import { Idr } from "../../host/lib/idr.js";
import { cliRunner, expectErrno, scratchDir, type CliResult } from "../helpers.js";

const scratch = scratchDir("hostfs");
afterAll(() => scratch.cleanup());

let share: string;
let k: Kernel;
let run: (line: string) => Promise<CliResult>;
beforeEach(async () => {
  const top = join(scratch.dir, Math.random().toString(36).slice(2));
  share = join(top, "share");
  mkdirSync(join(share, "sub"), { recursive: true });
  writeFileSync(join(share, "a.txt"), "from the host\n");
  writeFileSync(join(top, "secret"), "outside\n");
  symlinkSync(join(top, "secret"), join(share, "abs"));
  symlinkSync("../secret", join(share, "rel"));
  symlinkSync(top, join(share, "up"));
  k = new Kernel();
  run = cliRunner(k);
  expect((await run("mkdir /host")).status).toBe(0);
  expect(await run(`mount -t hostfs none /host -o ${share}`)).toMatchObject({ status: 0, err: "" });
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

describe("hostfs", () => {
  it("shows the host directory's files, and what the kernel writes lands on the host", async () => {
    expect(await ok("cat /host/a.txt")).toBe("from the host\n");
    expect(await ok("ls /host")).toBe("a.txt\nabs\nrel\nsub\nup\n");
    await ok("echo made in the kernel > /host/sub/new.txt");
    expect(readFileSync(join(share, "sub", "new.txt"), "utf8")).toBe("made in the kernel\n");
    await ok("mkdir /host/d");
    await ok("mv /host/sub /host/d/moved");
    expect(readFileSync(join(share, "d", "moved", "new.txt"), "utf8")).toBe("made in the kernel\n");
    expect(await ok("cat /host/d/moved/new.txt")).toBe("made in the kernel\n");
    await ok("rm /host/d/moved/new.txt");
    expect(existsSync(join(share, "d", "moved", "new.txt"))).toBe(false);
  });

  it("lists its mount in /proc/mounts and refuses a missing host directory", async () => {
    expect(k.read("/proc/mounts")).toContain("none /host hostfs rw,relatime 0 0\n");
    await ok("mkdir /h2");
    expect(await run(`mount -t hostfs none /h2 -o ${join(share, "nope")}`)).toMatchObject({ status: 1, err: "mount: /h2: special device none does not exist.\n" });
    expect(k.read("/proc/mounts")).not.toContain("/h2");
  });

  it("never follows a host symlink out of the directory: absolute, relative, or a directory on the way", async () => {
    expect(await ok("ls -l /host/abs")).toMatch(/^l.* \/host\/abs -> .*secret\n$/);
    for (const path of ["/host/abs", "/host/rel", "/host/up/secret", "/host/../secret"]) {
      expect((await run(`cat ${path}`)).status, path).toBe(1);
    }
  });

  it("backs a loop device with a host image, busy while bound", async () => {
    await ok("modprobe memdev");
    await ok("dd if=/dev/zero of=/host/disk.img bs=1k count=64 status=none");
    await ok("losetup /dev/loop0 /host/disk.img");
    await ok("echo through the loop > /m");
    await ok("dd if=/m of=/dev/loop0 bs=512 seek=4 conv=notrunc,fsync status=none");
    expect(readFileSync(join(share, "disk.img")).subarray(2048, 2065).toString()).toBe("through the loop\n");
    expect((await run("umount /host")).status).toBe(1);
    await ok("losetup -d /dev/loop0");
    await ok("umount /host");
  });
});

describe("the host side's confinement", () => {
  const sb = {} as SuperBlock;
  const user = () => {
    const u = new HostfsUser(new Idr<SuperBlock>());
    u.setRoot(sb, share);
    return u;
  };

  it("refuses '.' and '..' in a path with EACCES, and a symlinked directory on the way with ELOOP", () => {
    const u = user();
    expectErrno(() => u.resolve(sb, "sub/../../secret"), "EACCES");
    expectErrno(() => u.resolve(sb, "./a.txt"), "EACCES");
    expectErrno(() => u.resolve(sb, "up/secret"), "ELOOP");
    expect(u.resolve(sb, "sub/x")).toMatch(/share\/sub\/x$/);
  });

  it("takes only an existing absolute directory, once", () => {
    const u = new HostfsUser(new Idr<SuperBlock>());
    expectErrno(() => u.setRoot(sb, "relative/dir"), "EINVAL");
    expectErrno(() => u.setRoot(sb, join(share, "a.txt")), "ENOTDIR");
    u.setRoot(sb, share);
    expectErrno(() => u.setRoot(sb, share), "EBUSY");
  });
});
