// ping (iputils) between two kernels: the lines it prints for the ICMP errors that reach its socket
// through IP_RECVERR, and the summary that counts them ("+N errors").

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Kernel } from "../../host/init/main.js";
import { IPPROTO_ICMP } from "../../host/net/ipv4/ip.js";
import { netHost, snmp, unplug, wireName, type Run } from "../net/net_helpers.js";

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
    // Requests 1-3 wait on ARP, which gives up at 3 s; request 4, sent then, starts it over and fails at 6 s.
    expect(r).toEqual({
      status: 1,
      out:
        "PING 10.7.0.9 (10.7.0.9) 56(84) bytes of data.\n" +
        "From 10.7.0.1 icmp_seq=1 Destination Host Unreachable\n" +
        "From 10.7.0.1 icmp_seq=2 Destination Host Unreachable\n" +
        "From 10.7.0.1 icmp_seq=3 Destination Host Unreachable\n" +
        "From 10.7.0.1 icmp_seq=4 Destination Host Unreachable\n" +
        "\n--- 10.7.0.9 ping statistics ---\n" +
        "4 packets transmitted, 0 received, +4 errors, 100% packet loss, time 3000ms\n" +
        "pipe 3\n",
      err: "",
    });
    expect(snmp(a.k, "Icmp")).toMatchObject({ OutDestUnreachs: 4, InDestUnreachs: 4, OutEchos: 4 });
  });

  it("stops waiting once errors make the count, and ends the summary with an empty line when nothing came back", async () => {
    const r = await a.run("ping -c 1 -W 30 10.7.0.9");
    expect(r.out).toBe(
      "PING 10.7.0.9 (10.7.0.9) 56(84) bytes of data.\nFrom 10.7.0.1 icmp_seq=1 Destination Host Unreachable\n" +
        "\n--- 10.7.0.9 ping statistics ---\n1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n",
    );
    expect(a.k.clock.nowNs).toBeLessThan(4e9);
  });
});

describe("ping of a host that answers with an ICMP error", () => {
  /** B answers every ICMP message with an error of this type and code quoting it, as a router or firewall would. */
  function answerWith(type: number, code: number): void {
    b.k.net.ip.addProtocol(IPPROTO_ICMP, (hdr) => {
      const msg = new Uint8Array(8 + 28);
      msg.set([type, code]);
      msg.set(hdr.raw.subarray(0, 28), 8);
      b.k.net.icmp.send(hdr.src, msg);
    });
  }

  it.each([
    [11, 0, "Time to live exceeded"],
    [3, 3, "Destination Port Unreachable"],
    [3, 13, "Packet filtered"],
    [12, 0, "Parameter problem: pointer = 0"],
  ])("prints type %i code %i as iputils does: %s", async (type, code, text) => {
    answerWith(type, code);
    const r = await a.run("ping -c 2 -i 0.5 10.7.0.2");
    expect(r.out).toBe(
      `PING 10.7.0.2 (10.7.0.2) 56(84) bytes of data.\nFrom 10.7.0.2 icmp_seq=1 ${text}\nFrom 10.7.0.2 icmp_seq=2 ${text}\n` +
        "\n--- 10.7.0.2 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 500ms\n\n",
    );
    expect(r.status).toBe(1);
  });
});
