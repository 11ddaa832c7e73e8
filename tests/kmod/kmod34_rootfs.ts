// A kmod testsuite rootfs for the kmod34_* tests: a fixture laid out in a scratch folder, a kernel whose
// module directory and modprobe.d are the fixture's (and whose command line is its proc/cmdline), and
// command sessions on that kernel.

import { join } from "node:path";
import { Kernel } from "../../host/init/main.js";
import { cliSession } from "../helpers.js";
import { layout } from "./playground.js";

export interface Rootfs {
  readonly root: string;
  readonly k: Kernel;
  /** kmod's expected text with this rootfs's paths: /lib/ and /home/ under it, .wasm for .ko. */
  path(text: string): string;
  /** Run lines in one session (with that environment); what they printed, and the last line's status. */
  sh(lines: readonly string[], env?: Readonly<Record<string, string>>): { out: string; err: string; status: number };
  /** The modules loaded, by name, sorted. */
  loaded(): string[];
}

/** Lay `files` out under `root` and boot a kernel on lib/modules/`release` and etc/modprobe.d there. */
export function kmodRootfs(root: string, files: Readonly<Record<string, Uint8Array | string>>, release = "4.4.4", cmdline?: string): Rootfs {
  layout(root, files);
  const k = new Kernel({ moduleDir: join(root, "lib/modules", release), modprobeConfig: [join(root, "etc/modprobe.d")], cmdline });
  return {
    root,
    k,
    path: (text) => text.replace(/(^| )\/(lib|home)\//gm, `$1${root}/$2/`).replace(/\.ko\b/g, ".wasm"),
    sh(lines, env = {}) {
      const { s, out, err } = cliSession(k);
      for (const [name, value] of Object.entries(env)) s.setenv(name, value);
      let status = 0;
      for (const l of lines) status = s.exec(l);
      return { out: out.join(""), err: err.join(""), status };
    },
    loaded: () => k.modules.list().map((m) => m.name).sort(),
  };
}
