// Permission checks (host/fs/permission.ts) through the system calls of a task that is not root.

import { beforeEach, describe, expect, it } from "vitest";
import { O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { S_IFCHR, S_IFREG, UTIME_NOW, UTIME_OMIT } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dropTo, expectErrno, expectRefused, loadBytes } from "../helpers.js";

let k: Kernel;
let root: Libc;
/** uid 1000, gid 1000, also in group 50. */
let alice: Libc;
/** uid 2000, gid 2000. */
let bob: Libc;

beforeEach(() => {
  k = new Kernel();
  root = k.spawn("sh");
  alice = dropTo(k.spawn("alice"), 1000, 1000, [50]);
  bob = dropTo(k.spawn("bob"), 2000, 2000);
});

function file(path: string, mode: number, uid = 0, gid = 0, text = "data"): void {
  const fd = root.open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600);
  root.write(fd, text);
  root.close(fd);
  root.chown(path, uid, gid);
  root.chmod(path, mode);
}

function dir(path: string, mode: number, uid = 0, gid = 0): void {
  root.mkdir(path);
  root.chown(path, uid, gid);
  root.chmod(path, mode);
}

const names = (path: string) => root.readdir(path).map((d) => d.name).filter((n) => n !== "." && n !== "..").sort();
const denied = (path: string) => `${path}: Permission denied`;
const notPermitted = (path: string) => `${path}: Operation not permitted`;

describe("the path walk", () => {
  it("needs search permission on every directory it passes through: EACCES", () => {
    dir("/d", 0o700, 1000, 1000);
    file("/d/f", 0o644);
    expectErrno(() => bob.stat("/d/f"), "EACCES", denied("/d/f"));
    expectErrno(() => bob.open("/d/../d/f", O_RDONLY), "EACCES");
    expect(alice.stat("/d/f").size).toBe(4);
    root.chmod("/d", 0o711);
    expect(bob.stat("/d/f").size).toBe(4);
    expectErrno(() => bob.readdir("/d"), "EACCES", denied("/d"));
  });

  it("lets chdir into a directory only with search permission", () => {
    dir("/d", 0o766);
    expectErrno(() => alice.chdir("/d"), "EACCES", denied("/d"));
    expect(alice.getcwd()).toBe("/");
  });
});

describe("open", () => {
  it("checks read and write against the owner's, the group's or the others' bits", () => {
    file("/f", 0o640, 0, 50);
    expect(new TextDecoder().decode(alice.read(alice.open("/f", O_RDONLY), 10))).toBe("data");
    expectErrno(() => alice.open("/f", O_WRONLY), "EACCES", denied("/f"));
    expectErrno(() => alice.open("/f", O_RDWR), "EACCES");
    expectErrno(() => bob.open("/f", O_RDONLY), "EACCES");
  });

  it("uses only the owner's bits for the owner, even when the others may more", () => {
    file("/f", 0o077, 1000, 1000);
    expectErrno(() => alice.open("/f", O_RDONLY), "EACCES");
    expect(bob.open("/f", O_RDWR)).toBeGreaterThanOrEqual(0);
  });

  it("asks write permission for O_TRUNC, and truncates nothing when refused", () => {
    file("/f", 0o644);
    expectErrno(() => alice.open("/f", O_RDONLY | O_TRUNC), "EACCES");
    expectErrno(() => alice.truncate("/f", 0), "EACCES", denied("/f"));
    expect(root.stat("/f").size).toBe(4);
  });

  it("creates only in a writable directory, the new file the creator's, open whatever its mode", () => {
    dir("/ro", 0o755);
    expectErrno(() => alice.open("/ro/new", O_CREAT | O_WRONLY), "EACCES", denied("/ro/new"));
    expect(names("/ro")).toEqual([]);
    dir("/rw", 0o777);
    alice.close(alice.open("/rw/new", O_CREAT | O_RDWR, 0));
    expect(root.stat("/rw/new")).toMatchObject({ uid: 1000, gid: 1000, mode: S_IFREG });
    expectErrno(() => alice.open("/rw/new", O_RDONLY), "EACCES");
  });
});

describe("root", () => {
  it("reads, writes and searches whatever the bits say", () => {
    dir("/d", 0o000, 1000, 1000);
    file("/d/f", 0o000, 1000, 1000);
    root.close(root.open("/d/f", O_RDWR));
    root.mkdir("/d/sub");
    root.unlink("/d/f");
  });

  it("may not execute a file without any execute bit, and may with one", () => {
    file("/prog", 0o644, 0, 0, "garbage");
    expectErrno(() => root.execve("/prog", ["prog"]), "EACCES", denied("/prog"));
    root.chmod("/prog", 0o010);
    expectErrno(() => root.execve("/prog", ["prog"]), "ENOEXEC");
    expectErrno(() => alice.execve("/prog", ["prog"]), "EACCES");
  });
});

describe("creating and removing names", () => {
  beforeEach(() => {
    dir("/ro", 0o755);
    file("/ro/f", 0o666);
    dir("/ro/sub", 0o777);
  });

  it("needs write permission on the directory: EACCES, and the directory as it was", () => {
    const kept = () => names("/ro");
    expectRefused(kept, () => alice.mkdir("/ro/x"), "EACCES", denied("/ro/x"));
    expectRefused(kept, () => alice.mknod("/ro/x", S_IFREG | 0o644), "EACCES");
    expectRefused(kept, () => alice.symlink("f", "/ro/x"), "EACCES");
    expectRefused(kept, () => alice.unlink("/ro/f"), "EACCES", denied("/ro/f"));
    expectRefused(kept, () => alice.rmdir("/ro/sub"), "EACCES");
    expectRefused(kept, () => alice.rename("/ro/f", "/ro/g"), "EACCES");
    expectRefused(kept, () => alice.rename("/ro/sub/..", "/ro/g"), "EBUSY");
  });

  it("moves a directory to another parent only if the directory itself is writable", () => {
    dir("/a", 0o777);
    dir("/a/d", 0o755, 1000, 1000);
    dir("/b", 0o777);
    dir("/a/e", 0o555, 1000, 1000);
    alice.rename("/a/d", "/b/d");
    expectErrno(() => alice.rename("/a/e", "/b/e"), "EACCES");
    alice.rename("/a/e", "/a/e2");
    expect([names("/a"), names("/b")]).toEqual([["e2"], ["d"]]);
  });

  it("gives the new name the creator's fsuid and fsgid, or a set-group-ID directory's group", () => {
    dir("/rw", 0o777);
    alice.mkdir("/rw/d");
    alice.symlink("d", "/rw/l");
    expect(root.stat("/rw/d")).toMatchObject({ uid: 1000, gid: 1000 });
    expect(root.lstat("/rw/l")).toMatchObject({ uid: 1000, gid: 1000 });
    dir("/shared", 0o2777, 0, 77);
    alice.mkdir("/shared/d", 0o755);
    alice.close(alice.open("/shared/f", O_CREAT | O_WRONLY, 0o644));
    expect(root.stat("/shared/d").mode & 0o7777).toBe(0o2755);
    expect(root.stat("/shared/d").gid).toBe(77);
    expect(root.stat("/shared/f")).toMatchObject({ uid: 1000, gid: 77, mode: S_IFREG | 0o644 });
  });

  it("refuses a device node without CAP_MKNOD: EPERM after the directory's EACCES", () => {
    dir("/rw", 0o777);
    expectErrno(() => alice.mknod("/ro/null", S_IFCHR | 0o666, 0x103), "EACCES");
    expectErrno(() => alice.mknod("/rw/null", S_IFCHR | 0o666, 0x103), "EPERM", notPermitted("/rw/null"));
    alice.mknod("/rw/fifo", 0o010644);
    expect(names("/rw")).toEqual(["fifo"]);
  });
});

describe("a sticky directory", () => {
  beforeEach(() => {
    dir("/tmp2", 0o1777, 3000, 3000);
    alice.close(alice.open("/tmp2/a", O_CREAT | O_WRONLY, 0o666));
  });

  it("lets only the entry's owner, the directory's owner or root remove or replace it: EPERM", () => {
    const kept = () => names("/tmp2");
    expectRefused(kept, () => bob.unlink("/tmp2/a"), "EPERM", notPermitted("/tmp2/a"));
    expectRefused(kept, () => bob.rename("/tmp2/a", "/tmp2/b"), "EPERM");
    bob.close(bob.open("/tmp2/b", O_CREAT | O_WRONLY, 0o666));
    expectRefused(() => names("/tmp2"), () => alice.rename("/tmp2/a", "/tmp2/b"), "EPERM", notPermitted("/tmp2/a"));
    alice.rename("/tmp2/a", "/tmp2/c");
    dropTo(k.spawn("owner"), 3000, 3000).unlink("/tmp2/c");
    root.unlink("/tmp2/b");
    expect(names("/tmp2")).toEqual([]);
  });
});

describe("chmod, chown and utimes (setattr_prepare)", () => {
  beforeEach(() => file("/f", 0o644, 1000, 1000));
  const attrs = () => {
    const st = root.stat("/f");
    return [st.mode, st.uid, st.gid, st.mtime];
  };

  it("lets only the owner or root change the mode: EPERM", () => {
    expectRefused(attrs, () => bob.chmod("/f", 0o777), "EPERM", notPermitted("/f"));
    alice.chmod("/f", 0o600);
    root.chmod("/f", 0o640);
    expect(root.stat("/f").mode & 0o7777).toBe(0o640);
  });

  it("drops set-group-ID from a mode whose group the owner is not in", () => {
    root.chown("/f", 1000, 77);
    alice.chmod("/f", 0o2755);
    expect(root.stat("/f").mode & 0o7777).toBe(0o755);
    root.chown("/f", 1000, 50);
    alice.chmod("/f", 0o2755);
    expect(root.stat("/f").mode & 0o7777).toBe(0o2755);
  });

  it("lets only root give a file away, and the owner change its group to one of its own", () => {
    expectRefused(attrs, () => alice.chown("/f", 2000, 0xffffffff), "EPERM", notPermitted("/f"));
    expectRefused(attrs, () => alice.chown("/f", 0xffffffff, 77), "EPERM");
    expectRefused(attrs, () => bob.chown("/f", 0xffffffff, 2000), "EPERM");
    alice.chown("/f", 1000, 50);
    expect(root.stat("/f")).toMatchObject({ uid: 1000, gid: 50 });
    root.chown("/f", 2000, 2000);
    expect(root.stat("/f")).toMatchObject({ uid: 2000, gid: 2000 });
  });

  it("lets only the owner set explicit times, and anyone who may write set them to now", () => {
    expectRefused(attrs, () => bob.utimensat("/f", [[1, 0], [1, 0]]), "EPERM", notPermitted("/f"));
    expectRefused(attrs, () => bob.utimensat("/f", null), "EACCES", denied("/f"));
    expectRefused(attrs, () => bob.utimensat("/f", [[0, UTIME_NOW], [0, UTIME_OMIT]]), "EPERM");
    alice.utimensat("/f", [[5, 0], [5, 0]]);
    expect(root.stat("/f").mtime).toBe(5);
    root.chmod("/f", 0o666);
    bob.utimensat("/f", null);
    bob.utimensat("/f", [[0, UTIME_NOW], [0, UTIME_NOW]]);
    expect(root.stat("/f").mtime).not.toBe(5);
  });
});

describe("a filesystem module (ramfs)", () => {
  it("is checked by the VFS the same way, and its new inodes belong to their creator", () => {
    k.insmod(loadBytes("ramfs"));
    root.mkdir("/mnt/r");
    root.mount("none", "/mnt/r", "ramfs");
    dir("/mnt/r/ro", 0o755);
    dir("/mnt/r/rw", 0o777);
    expectErrno(() => alice.mkdir("/mnt/r/ro/x"), "EACCES");
    alice.mkdir("/mnt/r/rw/x");
    alice.close(alice.open("/mnt/r/rw/f", O_CREAT | O_WRONLY, 0o600));
    expect(root.stat("/mnt/r/rw/x")).toMatchObject({ uid: 1000, gid: 1000 });
    expect(root.stat("/mnt/r/rw/f")).toMatchObject({ uid: 1000, gid: 1000, mode: S_IFREG | 0o600 });
    expectErrno(() => bob.open("/mnt/r/rw/f", O_RDONLY), "EACCES");
  });
});

describe("mount and umount (may_mount)", () => {
  it("are EPERM without CAP_SYS_ADMIN, after the mount point is found", () => {
    root.mkdir("/mnt/t");
    const mounts = () => root.readFile("/proc/mounts");
    expectRefused(mounts, () => alice.mount("none", "/nope", "ramfs"), "ENOENT");
    expectRefused(mounts, () => alice.mount("none", "/mnt/t", "debugfs"), "EPERM", notPermitted("/mnt/t"));
    root.mount("none", "/mnt/t", "debugfs");
    expectRefused(mounts, () => alice.umount("/mnt/t"), "EPERM", notPermitted("/mnt/t"));
  });
});
