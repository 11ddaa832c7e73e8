import { afterAll, describe, expect, it } from "vitest";
import { KernelError } from "../../host/kernel/error.js";
import { fuzz, report } from "../../scripts/fuzz/campaign.js";
import { fuzzInput } from "../../scripts/fuzz/mutate.js";
import { FuzzTarget, loadCorpus } from "../../scripts/fuzz/target.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { loadBytes, scratchDir } from "../helpers.js";

const { dir, cleanup } = scratchDir("fuzz");
afterAll(cleanup);

describe("the fuzzer's inputs", () => {
  const corpus = loadCorpus(BUILD_DIR);

  it("are the same for a seed and an index, whatever ran before", () => {
    const later = fuzzInput(corpus, 7, 500);
    for (let i = 0; i < 10; i++) fuzzInput(corpus, 7, i);
    expect(fuzzInput(corpus, 7, 500)).toEqual(later);
    expect(fuzzInput(corpus, 8, 500).bytes).not.toEqual(later.bytes);
  });
});

describe("a fuzz target", () => {
  const corpus = loadCorpus(BUILD_DIR);
  const file = `${dir}/input.wasm`;

  it("loads and unloads an intact module, and refuses a broken one, leaving no failure", () => {
    const t = new FuzzTarget(file, corpus);
    expect(t.run(loadBytes("hello"))).toEqual({ loaded: true, failures: [] });
    expect(t.run(loadBytes("hello").subarray(0, 100))).toEqual({ loaded: false, failures: [] });
  });

  it("reports a host exception that insmod lets out", () => {
    const t = new FuzzTarget(file, corpus);
    t.kernel.insmod = () => {
      throw new TypeError("a host bug");
    };
    const { failures } = t.run(loadBytes("hello"));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.kind).toBe("host exception");
    expect(failures[0]!.detail).toMatch(/^TypeError: a host bug\n/);
  });

  it("reports a refused load that leaves something behind, and a module that will not unload", () => {
    const t = new FuzzTarget(file, corpus);
    const insmod = t.kernel.insmod.bind(t.kernel);
    t.kernel.insmod = (bytes, opts) => {
      t.kernel.kernfs.addDir("/sys/module/left_behind");
      return insmod(bytes, opts);
    };
    expect(t.run(loadBytes("hello").subarray(0, 100)).failures).toEqual([{ kind: "kernel state changed", detail: "the refused insmod changed sysModule" }]);
    t.kernel.rmmod = () => {
      throw new KernelError("EBUSY", "hello: stuck");
    };
    expect(t.run(loadBytes("hello")).failures).toEqual([
      { kind: "kernel state changed", detail: "rmmod hello: hello: stuck" },
      { kind: "kernel state changed", detail: "insmod and rmmod changed modules, refcnts, sysModule" },
    ]);
  });
});

// The campaign runs its inputs in a worker thread, which runs the compiled fuzzer: `npx tsc -p .` first.
describe("a fuzzing campaign", () => {
  it("gets through 2,000 mutated modules: no host exception, every refusal and every rmmod leaves the kernel as it was", async () => {
    const summary = await fuzz({ seed: 13, count: 2000, outDir: dir });
    expect(report(summary)).toEqual([
      `2000 inputs: ${summary.loaded} loaded, ${summary.refused} refused, 0 host exceptions, 0 kernel state changes, 0 hangs`,
    ]);
    expect(summary.loaded + summary.refused).toBe(2000);
    expect(summary.loaded).toBeGreaterThan(100);
  });
});
