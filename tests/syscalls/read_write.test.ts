// read(2), write(2), pread64(2), pwrite64(2) and lseek(2): counts, offsets and their errno.

import { beforeEach, describe, expect, it } from "vitest";
import { O_APPEND, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from "../../abi/fcntl.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno } from "../helpers.js";
import { BAD_PTR, boot, neg, sys, text, userBuffer, writeFile } from "../vfs_helpers.js";

let libc: Libc;
/** /tmp/f holds "0123456789"; fd is it opened O_RDWR. */
let fd: number;
beforeEach(() => {
  libc = boot().libc;
  writeFile(libc, "/tmp/f", "0123456789");
  fd = libc.open("/tmp/f", O_RDWR);
});

const offset = (d = fd) => libc.lseek(d, 0, SEEK_CUR);

describe("read and write", () => {
  it("read returns what there is up to count, moving the offset, then 0 at the end", () => {
    expect(text(libc.read(fd, 4))).toBe("0123");
    expect(offset()).toBe(4);
    expect(text(libc.read(fd, 100))).toBe("456789");
    expect(libc.read(fd, 100)).toHaveLength(0);
    expect(offset()).toBe(10);
  });

  it("write returns its count and moves the offset", () => {
    libc.lseek(fd, 8, SEEK_SET);
    expect(libc.write(fd, "abcd")).toBe(4);
    expect(offset()).toBe(12);
    expect(text(libc.readFile("/tmp/f"))).toBe("01234567abcd");
  });

  it("does nothing for a count of 0, even with a NULL buffer", () => {
    const { mtime } = libc.fstat(fd);
    expect(sys(libc, "read", fd, 0, 0)).toBe(0);
    expect(sys(libc, "write", fd, 0, 0)).toBe(0);
    expect(libc.fstat(fd)).toMatchObject({ mtime, size: 10 });
    expect(offset()).toBe(0);
  });

  it("refuses a descriptor that is not open with EBADF", () => {
    libc.close(fd);
    const buf = userBuffer(libc, 8);
    for (const call of ["read", "write"] as const) expect(sys(libc, call, fd, buf, 8)).toBe(neg("EBADF"));
    expect(sys(libc, "lseek", fd, 0, SEEK_SET)).toBe(neg("EBADF"));
  });

  it("reads EISDIR from a directory and refuses a write to it with EBADF", () => {
    const dir = libc.open("/tmp", O_RDONLY);
    expectErrno(() => libc.read(dir, 8), "EISDIR");
    expectErrno(() => libc.write(dir, "x"), "EBADF");
  });

  it("moves no offset when a write fails, even on an O_APPEND descriptor", () => {
    const app = libc.open("/tmp/f", O_WRONLY | O_APPEND);
    expect(sys(libc, "write", app, BAD_PTR, 4)).toBe(neg("EFAULT"));
    expect(offset(app)).toBe(0);
    expect(sys(libc, "read", fd, BAD_PTR, 4)).toBe(neg("EFAULT"));
    expect(offset()).toBe(0);
    expect(libc.fstat(fd).size).toBe(10);
  });
});

describe("pread64 and pwrite64", () => {
  it("read and write at the offset given, leaving the file's offset alone", () => {
    libc.lseek(fd, 3, SEEK_SET);
    expect(text(libc.pread(fd, 4, 5))).toBe("5678");
    libc.pwrite(fd, "XY", 1);
    expect(offset()).toBe(3);
    expect(text(libc.read(fd, 3))).toBe("345");
    expect(text(libc.pread(fd, 3, 0))).toBe("0XY");
  });

  it("read 0 past the end, and write past it leaving a hole of zeros", () => {
    expect(libc.pread(fd, 4, 100)).toHaveLength(0);
    libc.pwrite(fd, "z", 12);
    expect(libc.pread(fd, 10, 8)).toEqual(Uint8Array.of(56, 57, 0, 0, 122));
  });

  it("refuse a negative offset with EINVAL, before they look at the descriptor", () => {
    const buf = userBuffer(libc, 8);
    for (const call of ["pread64", "pwrite64"] as const) {
      expect(sys(libc, call, fd, buf, 4, -1)).toBe(neg("EINVAL"));
      expect(sys(libc, call, 999, buf, 4, -1)).toBe(neg("EINVAL"));
      expect(sys(libc, call, 999, buf, 4, 0)).toBe(neg("EBADF"));
    }
  });
});

describe("lseek", () => {
  it("sets the offset from the start, the current offset or the end", () => {
    expect(libc.lseek(fd, 4, SEEK_SET)).toBe(4);
    expect(libc.lseek(fd, 2, SEEK_CUR)).toBe(6);
    expect(libc.lseek(fd, -3, SEEK_CUR)).toBe(3);
    expect(libc.lseek(fd, -1, SEEK_END)).toBe(9);
    expect(text(libc.read(fd, 5))).toBe("9");
  });

  it("goes past the end, where a write leaves a hole", () => {
    expect(libc.lseek(fd, 5, SEEK_END)).toBe(15);
    libc.write(fd, "!");
    expect(libc.fstat(fd).size).toBe(16);
    expect(libc.pread(fd, 6, 10)).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 33));
  });

  it("refuses a negative result or an unknown whence with EINVAL, keeping the offset", () => {
    libc.lseek(fd, 4, SEEK_SET);
    expectErrno(() => libc.lseek(fd, -1, SEEK_SET), "EINVAL");
    expectErrno(() => libc.lseek(fd, -5, SEEK_CUR), "EINVAL");
    expectErrno(() => libc.lseek(fd, -11, SEEK_END), "EINVAL");
    expectErrno(() => libc.lseek(fd, 0, 5), "EINVAL");
    expect(offset()).toBe(4);
  });

  it("finds data at the offset and the hole at the end; ENXIO from the end on", () => {
    expect(libc.lseek(fd, 3, SEEK_DATA)).toBe(3);
    expect(libc.lseek(fd, 3, SEEK_HOLE)).toBe(10);
    expectErrno(() => libc.lseek(fd, 10, SEEK_DATA), "ENXIO");
    expectErrno(() => libc.lseek(fd, 10, SEEK_HOLE), "ENXIO");
    expect(offset()).toBe(10);
  });
});
