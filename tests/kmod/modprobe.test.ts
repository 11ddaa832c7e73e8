// modprobe: loading with dependencies in order, removal with what became unused, aliases and wildcards,
// modprobe.d (options, alias, blacklist, install, remove, softdep), failure part-way, and kmod's words.

import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Kernel } from "../../host/init/main.js";
import { cliSession, dmesg, snapshot } from "../helpers.js";
import { makeModuleDir, type ModuleDir } from "./moddir.js";

let md: ModuleDir;
let k: Kernel;

beforeAll(async () => {
  md = await makeModuleDir("modprobe", ["hello", "memdev", "ramfs", "counter", "counter_user", "faulty"], 4);
});
afterAll(() => md.cleanup());
beforeEach(() => {
  for (const f of ["test", "more"]) rmSync(join(md.conf, `${f}.conf`), { force: true });
  k = md.kernel();
});

/** Run lines in one session on the test's kernel: what they printed, and the last line's status. */
function sh(...lines: string[]): { out: string; err: string; status: number } {
  const { s, out, err } = cliSession(k);
  let status = 0;
  for (const l of lines) status = s.exec(l);
  return { out: out.join(""), err: err.join(""), status };
}

const loaded = () => k.modules.list().map((m) => m.name);
const path = (m: string) => join(md.dir, "kernel", m.startsWith("stack") ? "extra" : "", `${m}.wasm`);

describe("modprobe", () => {
  it("loads a module after everything it depends on, deepest first", () => {
    const r = sh("modprobe -v stack3");
    expect(r.out).toBe(["stack0", "stack1", "stack2", "stack3"].map((m) => `insmod ${path(m)} \n`).join(""));
    expect(r.status).toBe(0);
    expect(loaded()).toEqual(["stack3", "stack2", "stack1", "stack0"]);
    expect(dmesg(k).filter((l) => l.startsWith("stack"))).toEqual(["stack0: depth 0", "stack1: depth 1", "stack2: depth 2", "stack3: depth 3"]);
  });

  it("reuses dependencies already loaded, and does nothing for a module that is", () => {
    sh("modprobe stack1");
    expect(sh("modprobe -v stack3").out).toBe(`insmod ${path("stack2")} \ninsmod ${path("stack3")} \n`);
    expect(sh("modprobe -v stack3")).toEqual({ out: "", err: "", status: 0 });
  });

  it("refuses an already loaded module with --first-time", () => {
    sh("modprobe hello");
    expect(sh("modprobe --first-time hello")).toEqual({ out: "", err: "modprobe: ERROR: could not insert 'hello': Module already in kernel\n", status: 1 });
  });

  it("passes the parameters after the name, after the configuration's options, a value with blanks quoted", () => {
    md.configure("test", "options hello who=config count=2\n");
    expect(sh(`modprobe -v hello "who=two words"`).out).toBe(`insmod ${path("hello")} who=config count=2 who="two words"\n`);
    expect(dmesg(k).filter((l) => l.startsWith("Hello"))).toEqual(["Hello, two words!", "Hello, two words!"]);
  });

  it("says what it would do with -n -v, and does nothing", () => {
    const before = snapshot(k);
    const r = sh("modprobe -n -v counter_user step=2");
    expect(r.out).toBe(`insmod ${path("counter")} \ninsmod ${path("counter_user")} step=2\n`);
    expect(snapshot(k)).toEqual(before);
    expect(sh("modprobe -n counter_user").out).toBe("");
  });

  it("shows every dependency with -D, loaded or not", () => {
    sh("modprobe counter");
    expect(sh("modprobe -D counter_user").out).toBe(`insmod ${path("counter")} \ninsmod ${path("counter_user")} \n`);
    expect(loaded()).toEqual(["counter"]);
  });

  it("finds a module by a symbol it exports", () => {
    sh("modprobe symbol:stack1_depth");
    expect(loaded()).toEqual(["stack1", "stack0"]);
  });

  it("says when nothing answers to the name, and says nothing with -q", () => {
    expect(sh("modprobe nosuch")).toEqual({ out: "", err: `modprobe: FATAL: Module nosuch not found in directory ${md.dir}\n`, status: 1 });
    expect(sh("modprobe -q nosuch")).toEqual({ out: "", err: "", status: 1 });
    expect(sh("modprobe")).toEqual({ out: "", err: "modprobe: ERROR: missing parameters. See -h.\n", status: 1 });
  });

  it("words a failed init as kmod does", () => {
    expect(sh("modprobe faulty mode=enodev").err).toBe("modprobe: ERROR: could not insert 'faulty': No such device\n");
    expect(sh("modprobe hello count=many").err).toBe("modprobe: ERROR: could not insert 'hello': Invalid argument\n");
    expect(loaded()).toEqual([]);
  });

  it("loads every module named with -a", () => {
    sh("modprobe -a hello memdev");
    expect(loaded()).toEqual(["memdev", "hello"]);
  });
});

describe("aliases", () => {
  it("resolves the modules' own aliases, wildcards included, '-' and '_' alike", () => {
    expect(sh("modprobe -R char-major-1-5", "modprobe -R char_major_1_3", "modprobe -R fs-ramfs").out).toBe("memdev\nmemdev\nramfs\n");
    sh("modprobe char-major-1-9");
    expect(loaded()).toEqual(["memdev"]);
  });

  it("takes the configuration's aliases first, with fnmatch's *, ? and [...]", () => {
    md.configure("test", "alias my-fs-* ramfs\nalias greet-[0-3]? hello\nalias fs-ramfs hello\n");
    expect(sh("modprobe -R my-fs-foo", "modprobe -R greet-2x", "modprobe -R fs-ramfs").out).toBe("ramfs\nhello\nhello\n");
    expect(sh("modprobe -R greet-5x").status).toBe(1);
  });

  it("refuses an alias with an unbalanced bracket", () => {
    expect(sh("modprobe 'bad]alias'").err).toBe(`modprobe: FATAL: Module bad]alias not found in directory ${md.dir}\n`);
  });
});

describe("blacklist", () => {
  beforeEach(() => md.configure("test", "blacklist memdev\n"));

  it("keeps a blacklisted module from loading by alias, quietly", () => {
    expect(sh("modprobe char-major-1-5")).toEqual({ out: "", err: "", status: 0 });
    expect(loaded()).toEqual([]);
  });

  it("still loads it by name, unless -b applies the blacklist to names too", () => {
    sh("modprobe -b memdev");
    expect(loaded()).toEqual([]);
    sh("modprobe memdev");
    expect(loaded()).toEqual(["memdev"]);
  });
});

describe("install and remove commands", () => {
  it("runs an install command instead of loading, with $CMDLINE_OPTS, through the shell", () => {
    md.configure("test", "install hello /sbin/modprobe --ignore-install hello who=installer $CMDLINE_OPTS && echo installed\n");
    const r = sh("modprobe -v hello count=2");
    // The nested modprobe is verbose too: MODPROBE_OPTIONS passes -v down.
    expect(r.out).toBe(
      `install /sbin/modprobe --ignore-install hello who=installer $CMDLINE_OPTS && echo installed count=2\ninsmod ${path("hello")} who=installer count=2\ninstalled\n`,
    );
    expect(dmesg(k).filter((l) => l.startsWith("Hello"))).toEqual(["Hello, installer!", "Hello, installer!"]);
  });

  it("keeps a module out with install NAME /bin/true", () => {
    md.configure("test", "install memdev /bin/true\n");
    expect(sh("modprobe char-major-1-5").status).toBe(0);
    expect(loaded()).toEqual([]);
  });

  it("fails the load when the install command fails", () => {
    md.configure("test", "install hello false\n");
    expect(sh("modprobe hello").err).toBe(
      "modprobe: ERROR: Error running install command 'false' for module hello: retcode 1\nmodprobe: ERROR: could not insert 'hello': Invalid argument\n",
    );
  });

  it("runs a remove command instead of unloading", () => {
    md.configure("test", "remove hello /sbin/rmmod hello && echo removed\n");
    sh("modprobe hello");
    expect(sh("modprobe -r -v hello").out).toBe("remove /sbin/rmmod hello && echo removed\nremoved\n");
    expect(loaded()).toEqual([]);
  });

  it("ignores both with -i", () => {
    md.configure("test", "install hello false\nremove hello false\n");
    expect(sh("modprobe -i hello", "modprobe -i -r hello").status).toBe(0);
    expect(loaded()).toEqual([]);
  });

  it("says a failing remove command is FATAL, with the module", () => {
    md.configure("test", "remove hello false\n");
    sh("modprobe hello");
    expect(sh("modprobe -r hello")).toEqual({ out: "", err: "modprobe: FATAL: Error running remove command for hello\n", status: 1 });
  });

  it("gives the commands MODPROBE_MODULE, and MODPROBE_OPTIONS carrying -C and -q down to the modprobe they run", () => {
    const alt = join(md.conf, "..", "alt.conf");
    writeFileSync(alt, "install hello echo $MODPROBE_MODULE [$MODPROBE_OPTIONS] && /sbin/modprobe --ignore-install hello\noptions hello who=alt\n");
    const r = sh(`modprobe -q -C ${alt} hello`);
    expect(r).toEqual({ out: `hello [-q -C ${alt}]\n`, err: "", status: 0 });
    expect(dmesg(k).filter((l) => l.startsWith("Hello"))).toEqual(["Hello, alt!"]);
  });

  it("reads MODPROBE_OPTIONS before its own arguments", () => {
    const r = (() => {
      const { s, out, err } = cliSession(k);
      s.setenv("MODPROBE_OPTIONS", "-n -v");
      return { status: s.exec("modprobe hello"), out: out.join(""), err: err.join("") };
    })();
    expect(r).toEqual({ status: 0, out: `insmod ${path("hello")} \n`, err: "" });
    expect(loaded()).toEqual([]);
  });
});

describe("softdep", () => {
  beforeEach(() => md.configure("test", "softdep stack1 pre: hello post: memdev\n"));

  it("loads pre: modules before and post: modules after, around the module's dependencies", () => {
    const r = sh("modprobe -v stack1");
    expect(r.out).toBe(["stack0", "hello", "stack1", "memdev"].map((m) => `insmod ${path(m)} \n`).join(""));
  });

  it("removes post: modules first and pre: modules last", () => {
    sh("modprobe stack1");
    expect(sh("modprobe -r -v stack1").out).toBe("rmmod memdev\nrmmod stack1\nrmmod stack0\nrmmod hello\n");
    expect(loaded()).toEqual([]);
  });

  it("ignores a soft dependency that fails", () => {
    md.configure("test", "softdep hello pre: faulty\noptions faulty mode=enodev\n");
    expect(sh("modprobe hello").status).toBe(0);
    expect(loaded()).toEqual(["hello"]);
  });
});

describe("failure part-way", () => {
  beforeEach(() => md.configure("test", "options stack2 fail=-19\n"));

  it("unloads what this call loaded, and leaves the kernel as it was (kmod names the module asked for)", () => {
    const before = snapshot(k);
    expect(sh("modprobe stack3").err).toBe("modprobe: ERROR: could not insert 'stack3': No such device\n");
    expect(snapshot(k)).toEqual(before);
  });

  it("leaves what was loaded before the call", () => {
    sh("modprobe stack0", "modprobe hello");
    sh("modprobe stack3");
    expect(loaded()).toEqual(["hello", "stack0"]);
    expect(k.modules.find("stack0")!.refcnt).toBe(0);
  });
});

describe("modprobe -r", () => {
  it("removes the module, then each dependency whose refcount is 0 when reached, deepest first: kmod 34 leaves the rest of a chain", () => {
    sh("modprobe stack3");
    expect(sh("modprobe -r -v stack3").out).toBe("rmmod stack3\nrmmod stack2\n");
    expect(loaded()).toEqual(["stack1", "stack0"]);
    sh("modprobe -r stack1");
    expect(loaded()).toEqual([]);
  });

  it("keeps a dependency another module still uses", () => {
    sh("modprobe stack2", "modprobe stack_side");
    sh("modprobe -r stack2");
    expect(loaded()).toEqual(["stack_side", "stack0"]);
  });

  it("with -n -v shows the module only, its dependencies being still in use by it, and removes nothing", () => {
    sh("modprobe stack2");
    expect(sh("modprobe -r -n -v stack2").out).toBe("rmmod stack2\n");
    expect(loaded()).toEqual(["stack2", "stack1", "stack0"]);
  });

  it("refuses a module in use, and says nothing of one not loaded unless --first-time", () => {
    sh("modprobe stack1");
    expect(sh("modprobe -r stack0")).toEqual({ out: "", err: "modprobe: FATAL: Module stack0 is in use.\n", status: 1 });
    expect(sh("modprobe -r hello")).toEqual({ out: "", err: "", status: 0 });
    expect(sh("modprobe -r --first-time hello").err).toBe("modprobe: FATAL: Module hello is not in kernel.\n");
    expect(sh("modprobe -r nosuch").err).toBe("modprobe: FATAL: Module nosuch not found.\n");
  });

  it("ends the run at the first FATAL line, leaving the modules named after it", () => {
    sh("modprobe stack1", "modprobe hello");
    expect(sh("modprobe -r stack0 hello")).toEqual({ out: "", err: "modprobe: FATAL: Module stack0 is in use.\n", status: 1 });
    expect(loaded()).toEqual(["hello", "stack1", "stack0"]);
    // With -a a missing module is only a WARNING, and the others go on.
    expect(sh("modprobe -a nosuch memdev")).toEqual({ out: "", err: `modprobe: WARNING: Module nosuch not found in directory ${md.dir}\n`, status: 1 });
    expect(loaded()).toContain("memdev");
  });

  it("removes the holders first with --remove-holders", () => {
    sh("modprobe stack2");
    expect(sh("modprobe -r -v --remove-holders stack1").out).toBe("rmmod stack2\nrmmod stack1\nrmmod stack0\n");
  });
});

describe("modprobe.d", () => {
  it("reads *.conf files in name order, later lines adding to earlier ones, and names a bad line", () => {
    md.configure("more", "options hello count=3\nbogus line here\n");
    md.configure("test", "options hello who=first\n");
    const r = sh("modprobe -v hello");
    expect(r.out).toBe(`insmod ${path("hello")} count=3 who=first \n`);
    // Said by the library before modprobe sets up its own log, so in libkmod's words, and even with -q.
    expect(r.err).toBe(`libkmod: ERROR: kmod_config_parse: ${join(md.conf, "more.conf")} line 2: ignoring bad line starting with 'bogus'\n`);
    expect(sh("modprobe -q hello").err).toBe(r.err);
  });

  it("prints a softdep with the parts it has, a weakdep with its names", () => {
    md.configure("test", "softdep a pre: x y\nsoftdep b post: z\nsoftdep c pre: x post: z\nsoftdep d  \nweakdep e w1 w2\n");
    expect(sh("modprobe -c").out.split("\n\n#")[0]).toBe("softdep a pre: x y\nsoftdep b post: z\nsoftdep c pre: x post: z\nsoftdep d \nweakdep e w1 w2");
  });

  it("looks a --show-exports or --dump-modversions name up in the -d directory", () => {
    const other = join(md.dir, "..", "..", "..", "other");
    const release = join(other, "lib", "modules", "0.1.0-wasm-lkm");
    mkdirSync(join(release, "kernel"), { recursive: true });
    copyFileSync(path("counter"), join(release, "kernel", "counter.wasm"));
    writeFileSync(join(release, "modules.dep"), "kernel/counter.wasm:\n");
    expect(sh(`modprobe -d ${other} --show-exports counter`).out).toMatch(/^0x[0-9a-f]{8}\tcounter_add\n/);
    expect(sh(`modprobe -d ${other} --show-exports hello`).err).toBe(`modprobe: FATAL: Module hello not found in directory ${release}\n`);
    expect(sh("modprobe --show-exports hello").out).toBe("");
    expect(sh("modprobe --dump-modversions hello").out).toMatch(/\t_printk\n/);
  });

  it("prints the configuration and the alias indexes with -c", () => {
    md.configure("test", "blacklist memdev\nalias my-fs ramfs\noptions hello who=x\n");
    const out = sh("modprobe -c").out;
    expect(out.startsWith("blacklist memdev\nalias my_fs ramfs\noptions hello who=x\n\n# End of configuration files. Dumping indexes now:\n\n")).toBe(true);
    expect(out).toContain("alias char_major_1_* memdev\n");
    expect(out).toContain("alias symbol:stack1_depth stack1\n");
  });

  it("reads the configuration from -C and the modules from -d", () => {
    md.configure("test", "options hello who=default\n");
    const alt = join(md.dir, "..", "..", "..", "alt.conf");
    const r = sh(`modprobe -n -v -C ${md.conf} -d ${join(md.dir, "..", "..", "..")} hello`);
    expect(r.out).toBe(`insmod ${path("hello")} who=default \n`);
    const none = "/nonexistent/lib/modules/0.1.0-wasm-lkm";
    expect(sh(`modprobe -C ${alt} -d /nonexistent hello`).err).toBe(`modprobe: FATAL: Module hello not found in directory ${none}\n`);
  });

  it("reads a -C that is no directory as one configuration file, /dev/null as an empty one", () => {
    md.configure("test", "options hello who=default\n");
    expect(sh("modprobe -n -v -C /dev/null hello")).toEqual({ out: `insmod ${path("hello")} \n`, err: "", status: 0 });
    expect(sh(`modprobe -n -v -C ${join(md.conf, "test.conf")} hello`).out).toBe(`insmod ${path("hello")} who=default \n`);
  });
});

describe("the kernel command line", () => {
  it("is /proc/cmdline, with a newline, cut to COMMAND_LINE_SIZE - 1 bytes", () => {
    expect(md.kernel({ cmdline: "root=/dev/sda1 quiet" }).read("/proc/cmdline")).toBe("root=/dev/sda1 quiet\n");
    expect(md.kernel().read("/proc/cmdline")).toBe("\n");
    expect(md.kernel({ cmdline: "x".repeat(3000) }).read("/proc/cmdline")).toBe(`${"x".repeat(2047)}\n`);
  });

  it("gives modprobe a module's options, after the configuration's: applied at load as Linux has it, by modprobe, not insmod", () => {
    k = md.kernel({ cmdline: "quiet hello.who=cmdline hello.count=2 root=/dev/sda1" });
    md.configure("test", "options hello who=config\n");
    expect(sh("modprobe -v hello").out).toBe(`insmod ${path("hello")} who=config who=cmdline count=2 \n`);
    expect(dmesg(k).filter((l) => l.startsWith("Hello"))).toEqual(["Hello, cmdline!", "Hello, cmdline!"]);
    sh("rmmod hello", `insmod ${path("hello")}`);
    expect(dmesg(k).filter((l) => l.startsWith("Hello"))).toContain("Hello, world!");
  });

  it("blacklists with modprobe.blacklist=, for aliases (and names with -b)", () => {
    k = md.kernel({ cmdline: "modprobe.blacklist=memdev,ramfs" });
    expect(sh("modprobe char-major-1-5", "modprobe -b ramfs")).toEqual({ out: "", err: "", status: 0 });
    expect(loaded()).toEqual([]);
    expect(sh("modprobe -c").out.startsWith("blacklist memdev\nblacklist ramfs\n")).toBe(true);
  });
});
