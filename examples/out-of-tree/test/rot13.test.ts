// The rot13 system call: its KUnit suite, the system call module checks, and the call as a program makes it.

import { describe, expect, it } from "vitest";
import { BAD_PTR, bootKernel, kunitSuites, neg, syscallModuleCheck, userBuffer, type Libc } from "wasm-lkm/testing";

// npm test builds the modules first (npm run build: src/*.ts to build/*.wasm); a .ts source given here would be
// built before the tests run, which takes seconds each.
const built = (file: string) => new URL(`../build/${file}`, import.meta.url).pathname;

/** A buffer in the caller's memory holding s. */
function userText(t: Libc, s: string): number {
  const bytes = new TextEncoder().encode(s);
  const ptr = userBuffer(t, bytes.length);
  t.task.mm.bytes(ptr, bytes.length).set(bytes);
  return ptr;
}

const readBack = (t: Libc, ptr: number, n: number) => new TextDecoder().decode(t.task.mm.bytes(ptr, n));

await kunitSuites([built("rot13.wasm"), built("rot13_test.wasm")]);

syscallModuleCheck({
  module: built("rot13.wasm"),
  nr: 335,
  kind: "register",
  call: (t) => t.syscall(335, userText(t, "Hello"), 5),
});

describe("rot13(buf, len)", () => {
  it("turns the caller's buffer into its ROT13 in place and returns its length", () => {
    const k = bootKernel();
    k.insmod(built("rot13.wasm"));
    const t = k.task();
    const ptr = userText(t, "Hello, World!");
    expect(t.syscall(335, ptr, 13)).toBe(13);
    expect(readBack(t, ptr, 13)).toBe("Uryyb, Jbeyq!");
  });

  it("takes the number nr names", () => {
    const k = bootKernel();
    k.insmod(built("rot13.wasm"), "nr=400");
    const t = k.task();
    const ptr = userText(t, "abc");
    expect(t.syscall(400, ptr, 3)).toBe(3);
    expect(readBack(t, ptr, 3)).toBe("nop");
    expect(k.dmesg()).toContain("rot13: system call 400 installed");
  });

  it("fails with EFAULT for a buffer outside the caller's memory and EINVAL for a bad length", () => {
    const k = bootKernel();
    k.insmod(built("rot13.wasm"));
    const t = k.task();
    expect(t.syscall(335, BAD_PTR, 4)).toBe(neg("EFAULT"));
    const ptr = userText(t, "abc");
    expect(t.syscall(335, ptr, -1)).toBe(neg("EINVAL"));
    expect(t.syscall(335, ptr, 4097)).toBe(neg("EINVAL"));
    expect(readBack(t, ptr, 3)).toBe("abc");
  });
});
