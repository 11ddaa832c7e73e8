// /dev/notes from a program's side: its KUnit suite, the character device conformance checks, and what is
// particular to it, each in a fresh kernel.

import { describe, expect, it } from "vitest";
import {
  bootKernel, chrdevConformance, expectErrno, kunitSuites, O_RDWR, O_WRONLY, POLLIN, POLLOUT, POLLRDNORM,
  POLLWRNORM, SEEK_SET,
} from "wasm-lkm/testing";

// npm test builds the modules first (npm run build: src/*.ts to build/*.wasm); a .ts source given here would be
// built before the tests run, which takes seconds each.
const built = (file: string) => new URL(`../build/${file}`, import.meta.url).pathname;

// notes_test uses notes' symbols (the build records depends=notes): notes is loaded first.
await kunitSuites([built("notes.wasm"), built("notes_test.wasm")]);

chrdevConformance({
  module: built("notes.wasm"),
  device: "/dev/notes",
  storage: true,
  seekable: true,
  poll: { empty: POLLOUT | POLLWRNORM, withData: POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM },
});

describe("/dev/notes", () => {
  it("announces its major and is listed in /proc/devices under it", () => {
    const k = bootKernel();
    k.insmod(built("notes.wasm"));
    const major = /^(\d+) notes$/m.exec(k.read("/proc/devices"))?.[1];
    expect(major).toBeDefined();
    expect(k.dmesg()).toContain(`notes: /dev/notes is ${major}:0`);
  });

  it("overwrites in place at the offset and keeps the rest", () => {
    const k = bootKernel();
    k.insmod(built("notes.wasm"));
    const t = k.task();
    const fd = t.open("/dev/notes", O_RDWR);
    expect(t.write(fd, new TextEncoder().encode("hello world"))).toBe(11);
    expect(t.lseek(fd, 6, SEEK_SET)).toBe(6);
    t.write(fd, new TextEncoder().encode("notes"));
    t.close(fd);
    expect(k.read("/dev/notes")).toBe("hello notes");
  });

  it("refuses a write past its 64 KiB with ENOSPC, and fills up to it", () => {
    const k = bootKernel();
    k.insmod(built("notes.wasm"));
    const t = k.task();
    const fd = t.open("/dev/notes", O_WRONLY);
    expect(t.lseek(fd, 65534, SEEK_SET)).toBe(65534);
    expect(t.write(fd, new TextEncoder().encode("abc"))).toBe(2);
    expectErrno(() => t.write(fd, new TextEncoder().encode("d")), "ENOSPC");
    t.close(fd);
    const held = k.read("/dev/notes");
    expect(held.length).toBe(65536);
    expect(held.slice(-2)).toBe("ab");
  });

  it("tells another module how much it holds, through its exported notes_used", () => {
    const k = bootKernel();
    const m = k.insmod(built("notes.wasm"));
    k.write("/dev/notes", "twelve bytes");
    expect(m.exports<{ notes_used(): number }>().notes_used()).toBe(12);
  });
});
