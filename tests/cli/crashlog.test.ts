// A host error (a bug) in a command fails that command with one line, never the session with a stack trace;
// the stack goes to the kernel log file (host/cli/crashlog.ts).

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { appendInternalError, firstLine, internalErrorEntry } from "../../host/cli/crashlog.js";
import { COMMANDS, Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import { ROOT } from "../../scripts/paths.js";

const base = mkdtempSync(join(tmpdir(), "wasm-lkm-crashlog-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const ls = COMMANDS.find((c) => c.name === "ls")!;

describe("a command that throws", () => {
  it("a host error: one line, status 1, the error handed to the log, and the session goes on", () => {
    const logged: [string, unknown][] = [];
    const out: string[] = [];
    const err: string[] = [];
    const s = new Session(new Kernel(), (t) => void out.push(t), (t) => void err.push(t), { logInternalError: (w, e) => void logged.push([w, e]) });
    const bug = new TypeError("Cannot read properties of undefined (reading 'ino')\n    at somewhere");
    const spy = vi.spyOn(ls, "run").mockImplementation(() => {
      throw bug;
    });
    try {
      expect(s.exec("ls /")).toBe(1);
      expect(s.exec("echo after")).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(err).toEqual(["wasm-lkm: ls: internal error: Cannot read properties of undefined (reading 'ino')\n"]);
    expect(logged).toEqual([["ls", bug]]);
    expect(out).toEqual(["after\n"]);
    expect(s.status).toBe(1);
  });

  it("a refusal it did not report itself: strerror's words, status 1", () => {
    const err: string[] = [];
    const s = new Session(new Kernel(), () => {}, (t) => void err.push(t));
    const spy = vi.spyOn(ls, "run").mockImplementation(() => {
      throw new KernelError("ENOTDIR", "/x: Not a directory");
    });
    try {
      expect(s.exec("ls /x")).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(err).toEqual(["wasm-lkm: ls: Not a directory\n"]);
  });
});

describe("the log entry", () => {
  it("says when and where, with the stack; the user sees the first line of the message", () => {
    const e = new Error("two\nlines");
    expect(firstLine(e)).toBe("two");
    expect(internalErrorEntry("cat", e)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z wasm-lkm: cat: internal error: Error: two\nlines\n {4}at /);
  });

  it("is appended to a 0600 file in a 0700 directory made for it, and not written into a directory others can write", () => {
    const path = join(base, "own", "kernel.log");
    expect(appendInternalError("a", new Error("first"), path)).toBe(true);
    expect(appendInternalError("b", new Error("second"), path)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(base, "own")).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, "utf8").match(/internal error: Error: \w+/g)).toEqual(["internal error: Error: first", "internal error: Error: second"]);
    const shared = join(base, "shared");
    writeFileSync(join(base, "x"), "");
    expect(appendInternalError("c", new Error("x"), join(base, "x", "kernel.log"))).toBe(false);
    expect(appendInternalError("c", new Error("x"), join(shared, "kernel.log"))).toBe(true);
  });
});

describe("wasm-lkm run", () => {
  it("survives a command's host error: one line on stderr, the stack in kernel.log, status 1, the next lines run", async () => {
    const runtime = join(base, "runtime");
    const inject = join(base, "inject.mjs");
    writeFileSync(inject, [
      `import { COMMANDS } from ${JSON.stringify(pathToFileURL(join(ROOT, "dist/host/cli/session.js")).href)};`,
      'COMMANDS.find((c) => c.name === "ls").run = () => { throw new RangeError("injected bug"); };',
      "",
    ].join("\n"));
    const script = join(base, "script.lkm");
    writeFileSync(script, "ls /\necho still running\n");
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      const env = { ...process.env, XDG_RUNTIME_DIR: runtime, WASM_LKM_SOCKET: "" };
      execFile("node", ["--import", pathToFileURL(inject).href, join(ROOT, "dist/host/cli/wasm-lkm.js"), "run", script], { env }, (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr }),
      );
    });
    expect(r).toEqual({ code: 1, stdout: "still running\n", stderr: "wasm-lkm: ls: internal error: injected bug\n" });
    expect(readFileSync(join(runtime, "wasm-lkm", "kernel.log"), "utf8")).toMatch(/wasm-lkm: ls: internal error: RangeError: injected bug\n {4}at /);
  });
});
