// npm run fuzz [-- --seed S --count N --timeout MS]: a seeded mutation fuzzer over the built modules,
// feeding every input to insmod, modinfo and modprobe --dump-modversions / --show-exports. Exits 1, with
// the seed and index of each failing input (written to build/fuzz/), when any input threw a host
// exception, changed the kernel's state without loading, did not unload cleanly, or hung.

import { parseArgs } from "node:util";
import { fuzz, report } from "./fuzz/campaign.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    count: { type: "string", default: "2000" },
    timeout: { type: "string", default: "10000" },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const count = Number(values.count);
const timeoutMs = Number(values.timeout);
if (![seed, count, timeoutMs].every((n) => Number.isSafeInteger(n) && n >= 0)) {
  console.error("fuzz: --seed, --count and --timeout take non-negative integers");
  process.exit(2);
}
console.log(`fuzz: seed ${seed}, ${count} inputs`);
const summary = await fuzz({ seed, count, timeoutMs });
for (const line of report(summary)) console.log(line);
process.exit(summary.failed.length > 0 ? 1 : 0);
