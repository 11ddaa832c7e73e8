// binfmt_script (fs/binfmt_script.c): a file starting "#!" names its interpreter and one optional argument.
//
// `#!/bin/interp arg words` run as `script a b` becomes `/bin/interp "arg words" script a b`: argv[0] is
// replaced by the script's name, the argument (everything after the first blank, as one word) and the
// interpreter go in front, and the interpreter, which must itself be executable, is searched for next.

import { BINPRM_BUF_SIZE } from "../../abi/binfmts.js";
import { KernelError } from "../kernel/error.js";
import type { Exec, LinuxBinfmt, LinuxBinprm } from "./exec.js";

const spacetab = (c: number | undefined): boolean => c === 0x20 || c === 0x09;

function nextNonSpacetab(buf: Uint8Array, first: number, last: number): number | null {
  for (; first <= last; first++) if (!spacetab(buf[first])) return first;
  return null;
}

function nextTerminator(buf: Uint8Array, first: number, last: number): number | null {
  for (; first <= last; first++) if (spacetab(buf[first]) || buf[first] === 0) return first;
  return null;
}

/** strnchr(): the first newline before any NUL, or -1. */
function lineEnd(buf: Uint8Array): number {
  for (let i = 0; i < buf.length && buf[i] !== 0; i++) if (buf[i] === 0x0a) return i;
  return -1;
}

/** The C string at `from`: up to `to`, or to a NUL before it. */
function cstring(buf: Uint8Array, from: number, to: number): Uint8Array {
  const nul = buf.subarray(from, to).indexOf(0);
  return buf.slice(from, nul < 0 ? to : from + nul);
}

/** The interpreter and its argument from the #! line; ENOEXEC for none, or for a name the buffer cut short. */
export function parseShebang(buf: Uint8Array): { name: Uint8Array; arg: Uint8Array | null } {
  const noexec = () => new KernelError("ENOEXEC", "Exec format error");
  const bufEnd = BINPRM_BUF_SIZE - 1;
  let end = lineEnd(buf);
  if (end < 0) {
    // No newline: the interpreter's name must end before the buffer does (arguments may be cut short).
    const first = nextNonSpacetab(buf, 2, bufEnd);
    if (first === null || nextTerminator(buf, first, bufEnd) === null) throw noexec();
    end = bufEnd;
  }
  while (spacetab(buf[end - 1])) end--;
  const name = nextNonSpacetab(buf, 2, end);
  if (name === null || name === end) throw noexec();
  const sep = nextTerminator(buf, name, end);
  const arg = sep !== null && buf[sep] !== 0 ? nextNonSpacetab(buf, sep, end) : null;
  return { name: cstring(buf, name, arg === null ? end : sep!), arg: arg === null ? null : cstring(buf, arg, end) };
}

const decoder = new TextDecoder();

export class BinfmtScript implements LinuxBinfmt {
  readonly owner = null;

  constructor(private readonly exec: Exec) {}

  /** load_script(): ENOEXEC unless "#!"; ENOENT for a script execveat named by a close-on-exec descriptor. */
  loadBinary(bprm: LinuxBinprm): void {
    if (bprm.buf[0] !== 0x23 || bprm.buf[1] !== 0x21) throw new KernelError("ENOEXEC", `${bprm.filename}: Exec format error`);
    const { name, arg } = parseShebang(bprm.buf);
    if (bprm.pathInaccessible) throw new KernelError("ENOENT", `${bprm.filename}: No such file or directory`);
    bprm.removeArgZero();
    bprm.pushArg(new TextEncoder().encode(bprm.interp));
    if (arg) bprm.pushArg(arg);
    bprm.pushArg(name);
    bprm.interp = decoder.decode(name);
    bprm.interpreter = this.exec.openExec(bprm.task, bprm.interp);
  }
}
