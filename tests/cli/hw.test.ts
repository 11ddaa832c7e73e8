import { describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { cliSession, loadBytes } from "../helpers.js";

function shell() {
  const k = new Kernel();
  const { s, out, err } = cliSession(k);
  const run = (line: string) => {
    out.length = err.length = 0;
    const status = s.exec(line);
    return { out: out.join(""), err: err.join(""), status };
  };
  return { k, run };
}

describe("hw", () => {
  it("attaches devices at their PC places by default, or where asked, and lists them", () => {
    const { run } = shell();
    expect(run("hw attach uart16550")).toEqual({ out: "uart0: uart16550 at 0x3f8 irq 4\n", err: "", status: 0 });
    expect(run("hw attach uart16550 port=0x2f8 irq=3").out).toBe("uart1: uart16550 at 0x2f8 irq 3\n");
    expect(run("hw attach pit").out).toBe("pit0: pit at 0x40 irq 0\n");
    expect(run("hw list").out).toBe("uart0\tuart16550\t0x3f8-0x3ff\tirq 4\nuart1\tuart16550\t0x2f8-0x2ff\tirq 3\npit0\tpit\t0x40-0x43\tirq 0\n");
  });

  it("refuses an unknown model, overlapping ports, a line the PIC lacks and bad options", () => {
    const { run } = shell();
    run("hw attach uart16550");
    expect(run("hw attach floppy")).toEqual({ out: "", err: "hw: unknown device model 'floppy' (known: uart16550, pit, ide, ne2000)\n", status: 1 });
    expect(run("hw attach uart16550 port=0x3f8").err).toBe("hw: ports 0x3f8-0x3ff overlap uart16550 at 0x3f8\n");
    expect(run("hw attach uart16550 port=0x2f8 irq=16").err).toBe("hw: irq 16 is not a line of the PIC (0-15)\n");
    expect(run("hw attach uart16550 speed=fast").err).toBe("hw: uart16550 takes no option 'speed'\n");
    expect(run("hw attach uart16550 port=fast").err).toBe("hw: bad option 'port=fast' (port=N or irq=N)\n");
    run("hw attach pit");
    expect(run("hw read pit0").err).toBe("hw: pit0 has no serial line\n");
    expect(run("hw list").out).toBe("uart0\tuart16550\t0x3f8-0x3ff\tirq 4\npit0\tpit\t0x40-0x43\tirq 0\n");
    expect(run("hw type nowhere x").err).toBe("hw: no device 'nowhere' attached\n");
  });

  it("types into a UART's line, reads what it sent, and lets time pass", () => {
    const { k, run } = shell();
    run("hw attach uart16550");
    k.insmod(loadBytes("serial16550"));
    expect(run("hw type 0x3f8 ping").status).toBe(0);
    expect(run("echo pong > /dev/ttyS0").status).toBe(0);
    // N_TTY echoes the line typed before the open as the open finds it, and ONLCR makes each newline CR NL.
    expect(run("hw read uart0").out).toBe("ping\r\npong\r\n");
    expect(run("hw type uart0 'no newline\\c'").status).toBe(0);
    expect(run("stty -F /dev/ttyS0 -echo").status).toBe(0);
    expect(run("hw read uart0").out).toBe("no newline");
    const before = k.clock.nowNs;
    run("hw tick 250");
    run("hw tick 1.5s");
    expect(k.clock.nowNs - before).toBe(2.5e9);
    expect(run("hw tick soon").err).toBe("hw: bad duration 'soon' (jiffies, or a number with ns, us, ms or s)\n");
  });

  it("joins two UARTs with a null-modem cable (line=NAME), refusing a third end and a bad cable or timing", () => {
    const { k, run } = shell();
    const { k: other, run: otherRun } = shell();
    expect(run("hw attach uart16550 line=hw-test").status).toBe(0);
    expect(otherRun("hw attach uart16550 line=hw-test").status).toBe(0);
    expect(run("hw attach uart16550 port=0x2f8 line=hw-test")).toEqual({ out: "", err: "hw: cable 'hw-test' already joins two UARTs\n", status: 1 });
    expect(run("hw attach uart16550 port=0x2f8 line=")).toEqual({ out: "", err: "hw: line needs a cable (a name, or udp:LPORT:127.0.0.1:PPORT)\n", status: 1 });
    expect(run("hw attach uart16550 port=0x2f8 line=udp:1:10.0.0.1:2").err).toBe("hw: bad wire 'udp:1:10.0.0.1:2' (udp:LOCALPORT:127.0.0.1:PEERPORT)\n");
    expect(run("hw attach uart16550 port=0x2f8 timing=slow").err).toBe("hw: bad timing 'slow' (instant or baud)\n");
    expect(run("hw list").out).toBe("uart0\tuart16550\t0x3f8-0x3ff\tirq 4\n");
    other.insmod(loadBytes("serial16550"));
    expect(otherRun("stty -F /dev/ttyS0 -echo -opost").status).toBe(0);
    expect(otherRun("echo over the cable > /dev/ttyS0").status).toBe(0);
    expect(run("hw read uart0").out).toBe("");
    const uart = k.machine.find("uart0").device;
    let got = "";
    while (uart.read(5, 1) & 0x01) got += String.fromCharCode(uart.read(0, 1));
    expect(got).toBe("over the cable\n");
    expect(run("hw detach uart0").status).toBe(0);
    expect(otherRun("hw detach uart0").err).toBe("hw: uart0: in use by serial16550 (ports 0x3f8-0x3ff): Device or resource busy\n");
  });
});
