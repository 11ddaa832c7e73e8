// getmntent(3): the mount table as /proc/mounts gives it, one entry per mount, fields unescaped.

import type { Libc } from "./nolibc.js";

/** struct mntent. */
export interface MountEntry {
  readonly fsname: string;
  readonly dir: string;
  readonly type: string;
  readonly opts: string;
}

/** /proc/mounts escapes blanks and backslashes in its fields as octal (\040). */
const unmangle = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** Every mount, in the order they were made. Throws the KernelError of reading /proc/mounts. */
export function getmntent(libc: Libc): MountEntry[] {
  const text = new TextDecoder().decode(libc.readFile("/proc/mounts"));
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [fsname, dir, type, opts] = l.split(" ");
      return { fsname: unmangle(fsname!), dir: unmangle(dir!), type: type!, opts: opts! };
    });
}
