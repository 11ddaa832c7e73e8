// ping (iputils) between two kernels: the lines it prints for ICMP errors that reach its socket through
// IP_RECVERR, and the summary with "+N errors".

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Kernel } from "../../host/init/main.js";
import { netHost, unplug, wireName, type Run } from "../net/net_helpers.js";

let a: { k: Kernel; run: Run };
let b: { k: Kernel; run: Run };
beforeEach(async () => {
  const wire = wireName("ping");
  a = await netHost(wire, "52:54:00:00:07:01", "10.7.0.1");
  b = await netHost(wire, "52:54:00:00:07:02", "10.7.0.2");
});
afterEach(() => unplug(a.k, b.k));

describe("ping of an address nobody answers ARP for", () => {
  it("prints a host unreachable from this host for each request, and counts them as errors", async () => {
    const r = await a.run("ping -c 4 10.7.0.9");
    console.log(JSON.stringify(r, null, 1));
  });
});
