// expect and expect-fail: a run script's assertions on the command after them.

import { describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { cliRunner, cliSession } from "../helpers.js";

describe("expect", () => {
  it("succeeds when the command does and prints the text, showing its output", async () => {
    const run = cliRunner(new Kernel());
    await run("insmod hello who=script");
    expect(await run("expect -m 'Hello, script!' dmesg -t")).toEqual({ status: 0, out: "Hello, script!\n", err: "" });
    expect((await run("expect lsmod")).status).toBe(0);
  });

  it("fails, saying why, when the command fails or does not print the text", async () => {
    const run = cliRunner(new Kernel());
    expect(await run("expect rmmod hello")).toEqual({
      status: 1, out: "", err: "rmmod: ERROR: Module hello is not currently loaded\nexpect: 'rmmod hello' failed with status 1\n",
    });
    expect((await run("expect -m absent dmesg")).err).toBe("expect: 'dmesg' printed nothing containing 'absent'\n");
  });

  it("runs the command in the same shell, so cd and the task carry over", async () => {
    const run = cliRunner(new Kernel());
    await run("cd /proc");
    expect((await run("expect -m Live cat modules")).status).toBe(1);
    await run("insmod hello");
    expect((await run("expect -m Live cat modules")).status).toBe(0);
  });

  it("refuses a missing command or an unknown option", async () => {
    const run = cliRunner(new Kernel());
    expect(await run("expect -m x")).toEqual({ status: 1, out: "", err: "expect: usage: expect [-m TEXT] COMMAND [ARGS...]\n" });
    expect(await run("expect -q lsmod")).toEqual({ status: 1, out: "", err: "expect: unknown option '-q'\n" });
  });
});

describe("expect-fail", () => {
  it("succeeds when the command fails, saying the text on its error output", async () => {
    const run = cliRunner(new Kernel());
    await run("insmod hello");
    const r = await run("expect-fail -m 'File exists' insmod hello");
    expect(r.status).toBe(0);
    expect(r.err).toBe("insmod: ERROR: could not insert module hello: File exists\n");
  });

  it("fails when the command succeeds, or fails saying something else", async () => {
    const run = cliRunner(new Kernel());
    expect(await run("expect-fail true")).toEqual({ status: 1, out: "", err: "expect-fail: 'true' succeeded\n" });
    expect((await run("expect-fail -m 'No such' false")).err).toBe("expect-fail: 'false' failed without saying 'No such'\n");
  });

  it("makes a script a test: a failed assertion fails the run, a passed one does not", () => {
    const { s } = cliSession(new Kernel());
    s.exec("expect-fail insmod /nonexistent.wasm");
    expect(s.status).toBe(0);
    s.exec("expect-fail lsmod");
    expect(s.status).toBe(1);
  });
});
