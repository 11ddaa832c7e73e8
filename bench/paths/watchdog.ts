// What the watchdog's budget checks cost: the intra-module and module-to-module call loops in a kernel
// that instruments its modules (every kernel does) and in one built without the soft-lockup detector,
// their runs alternating, each checked loop paired with its unchecked twin.

import { benchKernel, REFERENCE, symbolFn } from "../lkm.js";
import { paired, perCallEach } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";

type Loop = (n: number) => number;
const MODULES = [REFERENCE.module, "bench_provider", "bench_user"];

export const watchdog: BenchPath = {
  name: "watchdog",
  async run(ctx) {
    const checked = await benchKernel(ctx, MODULES);
    const bare = await benchKernel(ctx, MODULES, { softlockupDetector: false });
    const timed = await perCallEach(ctx, {
      intraBare: symbolFn<Loop>(bare, REFERENCE.loop),
      intra: symbolFn<Loop>(checked, REFERENCE.loop),
      moduleBare: symbolFn<Loop>(bare, "bench_user_call"),
      module: symbolFn<Loop>(checked, "bench_user_call"),
    }, { callees: { moduleBare: [symbolFn<Loop>(bare, "bench_target")], module: [symbolFn<Loop>(checked, "bench_target")] } });
    const figure = (id: string, label: string, t: (typeof timed)["intra"], twin?: string, twinT?: (typeof timed)["intra"]): Figure => ({
      id,
      label,
      unit: "ns",
      ...(twin && twinT ? { paired: paired(twin, t, twinT) } : {}),
      ...t,
    });
    return {
      figures: [
        figure("watchdog.intra_bare", "intra-module direct call, no budget checks", timed.intraBare),
        figure("watchdog.intra", "intra-module direct call, with budget checks", timed.intra, "watchdog.intra_bare", timed.intraBare),
        figure("watchdog.module_bare", "module → module call, no budget checks", timed.moduleBare),
        figure("watchdog.module", "module → module call, with budget checks", timed.module, "watchdog.module_bare", timed.moduleBare),
      ],
    };
  },
};
