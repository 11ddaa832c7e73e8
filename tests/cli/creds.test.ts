// id and setpriv (host/cli/id.ts, host/cli/setpriv.ts): who the shell is, and running a command as another user.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { cliSession, dropTo, snapshot } from "../helpers.js";

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

/** Run lines in one session, as root or as the given uid and gid: stdout, stderr and each line's status. */
function run(lines: string[], as?: number): { out: string; err: string; status: number[] } {
  const { s, out, err } = cliSession(k);
  if (as !== undefined) dropTo(s.libc, as, as);
  const status = lines.map((l) => s.exec(l));
  s.close();
  return { out: out.join(""), err: err.join(""), status };
}

describe("id", () => {
  it("prints coreutils' line, root by name and other ids by number", () => {
    expect(run(["id"]).out).toBe("uid=0(root) gid=0(root) groups=0(root)\n");
    expect(run(["id", "id -u", "id -g", "id -G"], 1000).out).toBe("uid=1000 gid=1000 groups=1000\n1000\n1000\n1000\n");
  });

  it("shows effective ids that differ and the supplementary groups after the effective group", () => {
    const { s, out } = cliSession(k);
    s.libc.setgroups([4, 50]);
    s.libc.setresgid(100, 50, 50);
    s.libc.setresuid(1000, 2000, 2000);
    s.exec("id");
    s.exec("id -u -g");
    s.close();
    expect(out.join("")).toBe("uid=1000 gid=100 euid=2000 egid=50 groups=50,4\n");
  });
});

describe("setpriv", () => {
  it("runs the command with the new ids, in a child: the shell stays root", () => {
    const r = run(["setpriv --reuid=1000 --regid=1000 --clear-groups id", "setpriv --reuid=7 --regid=8 --groups=3,9 id", "id"]);
    expect(r.out).toBe("uid=1000 gid=1000 groups=1000\nuid=7 gid=8 groups=8,3,9\nuid=0(root) gid=0(root) groups=0(root)\n");
    expect(r.status).toEqual([0, 0, 0]);
    expect(k.tasks.pids()).toEqual([1]);
  });

  it("gives the command's own errors as the user: insmod's EPERM, mkdir's EACCES", () => {
    const before = snapshot(k);
    const r = run(["setpriv --reuid=1000 --regid=1000 --clear-groups insmod hello", "setpriv --reuid=1000 --regid=1000 --clear-groups mkdir /x"]);
    expect(r.err).toBe("insmod: ERROR: could not insert module hello: Operation not permitted\nmkdir: cannot create directory '/x': Permission denied\n");
    expect(r.status).toEqual([1, 1]);
    expect(snapshot(k)).toEqual(before);
  });

  it("gives modprobe kmod's EPERM error for a user", () => {
    const r = run(["setpriv --reuid=1000 --regid=1000 --clear-groups modprobe hello", "modprobe hello", "setpriv --reuid=1000 --regid=1000 --clear-groups modprobe -r hello"]);
    expect(r.err).toBe("modprobe: ERROR: could not insert 'hello': Operation not permitted\nmodprobe: ERROR: could not remove 'hello': Operation not permitted\n");
    expect(r.status).toEqual([1, 0, 1]);
    expect(k.modules.find("hello")).toBeDefined();
  });

  it("fails with status 127 and util-linux's message when a user asks for root", () => {
    const r = run(["setpriv --reuid=0 id", "setpriv --clear-groups id", "setpriv --regid=0 --keep-groups id"], 1000);
    expect(r.err).toBe(
      "setpriv: setresuid failed: Operation not permitted\nsetpriv: setgroups failed: Operation not permitted\nsetpriv: setresgid failed: Operation not permitted\n",
    );
    expect(r.status).toEqual([127, 127, 127]);
    expect(r.out).toBe("");
  });

  it("refuses bad arguments before changing anything", () => {
    const r = run(["setpriv --reuid=1000", "setpriv --reuid=bob id", "setpriv --regid=5 id"]);
    expect(r.err).toBe(
      "setpriv: No program specified\nsetpriv: failed to parse reuid: 'bob'\nsetpriv: --[re]gid requires --keep-groups, --clear-groups, --init-groups, or --groups\n",
    );
    expect(r.status).toEqual([1, 1, 1]);
  });
});
