// kernfs: the attribute files behind /proc and /sys, each a show() and an optional store().
//
// A flat map from absolute path to attribute; directories exist implicitly where files live below them.
// The VFS mounts procfs and sysfs as views of this tree.

import { KernelError } from "../kernel/error.js";

export interface KernfsAttr {
  /** Permission bits as ls shows them (0o644, 0o444, 0o200...). */
  readonly mode: number;
  show(): string;
  /** Absent for read-only attributes. Throws KernelError to refuse the value. */
  store?(buf: string): void;
}

export class Kernfs {
  private readonly attrs = new Map<string, KernfsAttr>();

  add(path: string, attr: KernfsAttr): void {
    this.attrs.set(path, attr);
  }

  remove(path: string): void {
    this.attrs.delete(path);
  }

  /** Remove a directory and everything under it. */
  removeTree(dir: string): void {
    for (const path of [...this.attrs.keys()]) if (path.startsWith(`${dir}/`)) this.attrs.delete(path);
  }

  isDir(path: string): boolean {
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.attrs.keys()].some((p) => p.startsWith(prefix));
  }

  /** The names directly inside a directory, sorted. */
  list(dir: string): string[] {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.attrs.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
    return [...names].sort();
  }

  /** Read a file. ENOENT if there is none, EISDIR for a directory, EACCES when it is not readable. */
  read(path: string): string {
    const attr = this.lookup(path);
    if ((attr.mode & 0o444) === 0) throw new KernelError("EACCES", `${path}: Permission denied`);
    return attr.show();
  }

  /** Write a file. EACCES when it is not writable, or whatever its store() refuses with. */
  write(path: string, buf: string): void {
    const attr = this.lookup(path);
    if (!attr.store || (attr.mode & 0o222) === 0) throw new KernelError("EACCES", `${path}: Permission denied`);
    attr.store(buf);
  }

  private lookup(path: string): KernfsAttr {
    const attr = this.attrs.get(path);
    if (attr) return attr;
    if (this.isDir(path)) throw new KernelError("EISDIR", `${path}: Is a directory`);
    throw new KernelError("ENOENT", `${path}: No such file or directory`);
  }
}
