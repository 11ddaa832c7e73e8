// dd and blockdev through the shell, on RAM disks.

import { beforeEach, describe, expect, it } from "vitest";
import { humanSize } from "../../host/cli/dd.js";
import { Kernel } from "../../host/init/main.js";
import { cliRunner, type CliResult } from "../helpers.js";

let run: (line: string) => Promise<CliResult>;
beforeEach(async () => {
  run = cliRunner(new Kernel());
  expect((await run("modprobe brd rd_nr=1 rd_size=2048")).status).toBe(0);
  expect((await run("modprobe memdev")).status).toBe(0);
});

describe("dd", () => {
  it("copies whole blocks and prints coreutils' summary", async () => {
    const r = await run("dd if=/dev/zero of=/dev/ram0 bs=1M count=1");
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/^1\+0 records in\n1\+0 records out\n1048576 bytes \(1\.0 MB, 1\.0 MiB\) copied, [\d.e-]+ s, .+B\/s\n$/);
  });

  it("writes at seek= blocks and reads from skip= blocks, counting a short block as partial", async () => {
    await run("echo hello > /f");
    const w = await run("dd if=/f of=/dev/ram0 bs=512 seek=7 conv=notrunc");
    expect(w.err).toMatch(/^0\+1 records in\n0\+1 records out\n6 bytes copied, /);
    await run("dd if=/dev/ram0 of=/g bs=1 skip=3584 count=6");
    expect((await run("cat /g")).out).toBe("hello\n");
  });

  it("stops at the end of the device with ENOSPC, after the blocks that fit", async () => {
    const r = await run("dd if=/dev/zero of=/dev/ram0 bs=1M");
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^dd: error writing '\/dev\/ram0': No space left on device\n3\+0 records in\n2\+0 records out\n2097152 bytes \(2\.1 MB, 2\.0 MiB\) copied/);
  });

  it("truncates a regular output unless conv=notrunc", async () => {
    await run("echo 0123456789 > /f");
    await run("echo ab > /s");
    await run("dd if=/s of=/f conv=notrunc status=none");
    expect((await run("cat /f")).out).toBe("ab\n3456789\n");
    await run("dd if=/s of=/f status=none");
    expect((await run("cat /f")).out).toBe("ab\n");
  });

  it("names what it could not open, and refuses operands it does not know", async () => {
    expect(await run("dd if=/nope of=/dev/ram0")).toMatchObject({ status: 1, err: "dd: failed to open '/nope': No such file or directory\n" });
    expect(await run("dd bogus")).toMatchObject({ status: 1, err: "dd: unrecognized operand 'bogus'\nTry 'dd --help' for more information.\n" });
    expect(await run("dd bs=12Q")).toMatchObject({ status: 1, err: "dd: invalid number: '12Q'\n" });
  });

  it("sizes as human_readable does", () => {
    expect([humanSize(512, 1000), humanSize(1048576, 1000), humanSize(1048576, 1024), humanSize(52428800, 1000)]).toEqual(["512 B", "1.0 MB", "1.0 MiB", "52 MB"]);
  });
});

describe("blockdev", () => {
  it("prints --getsize64, --getsz, --getss and --getbsz, a line each", async () => {
    expect(await run("blockdev --getsize64 --getsz --getss --getbsz /dev/ram0")).toMatchObject({ status: 0, out: "2097152\n4096\n512\n4096\n" });
  });

  it("--flushbufs drops the cached blocks, --rereadpt is EINVAL on a disk without partitions", async () => {
    await run("dd if=/dev/ram0 of=/dev/null bs=4096 count=4 status=none");
    expect((await run("blockdev --flushbufs /dev/ram0")).status).toBe(0);
    expect(await run("blockdev --rereadpt /dev/ram0")).toMatchObject({ status: 1, err: "blockdev: ioctl error on BLKRRPART: Invalid argument\n" });
  });

  it("says what it could not open, and what it does not know", async () => {
    expect(await run("blockdev --getss /nope")).toMatchObject({ status: 1, err: "blockdev: cannot open /nope: No such file or directory\n" });
    expect((await run("blockdev --frob /dev/ram0")).err).toMatch(/^blockdev: Unknown command: --frob\n/);
  });
});
