// kernfs: the attribute files behind /proc and /sys, each a show() and an optional store().
//
// A flat map from absolute path to node: attribute files, symlinks, and directories that must exist even
// when empty; other directories exist implicitly where files live below them. procfs and sysfs mount views
// of this tree (kernfs_mount.ts).

import { KernelError } from "../kernel/error.js";

export interface KernfsAttr {
  /** Permission bits as ls shows them (0o644, 0o444, 0o200...). */
  readonly mode: number;
  show(): string;
  /** Absent for read-only attributes. Throws KernelError to refuse the value. */
  store?(buf: string): void;
}

/** What a path in the tree is: a directory, an attribute file, or a symlink with its target. */
export type KernfsNode =
  | { readonly kind: "dir"; readonly path: string }
  | { readonly kind: "file"; readonly path: string; readonly attr: KernfsAttr }
  | { readonly kind: "link"; readonly path: string; readonly target: string };

type Entry = { kind: "file"; attr: KernfsAttr } | { kind: "link"; target: string } | { kind: "dir" };

export class Kernfs {
  private readonly entries = new Map<string, Entry>();

  add(path: string, attr: KernfsAttr): void {
    this.entries.set(path, { kind: "file", attr });
  }

  /** kernfs_create_dir: a directory that exists even with nothing in it. */
  addDir(path: string): void {
    this.entries.set(path, { kind: "dir" });
  }

  /** kernfs_create_link: a symlink, its target relative to the link's directory as sysfs writes them. */
  addLink(path: string, target: string): void {
    this.entries.set(path, { kind: "link", target });
  }

  remove(path: string): void {
    this.entries.delete(path);
  }

  /** Remove a directory and everything under it. */
  removeTree(dir: string): void {
    for (const path of [...this.entries.keys()]) if (path === dir || path.startsWith(`${dir}/`)) this.entries.delete(path);
  }

  isDir(path: string): boolean {
    if (this.entries.get(path)?.kind === "dir") return true;
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.entries.keys()].some((p) => p.startsWith(prefix));
  }

  /** The names directly inside a directory, sorted. */
  list(dir: string): string[] {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.entries.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
    return [...names].sort();
  }

  /** The node at a path, or null. */
  node(path: string): KernfsNode | null {
    const entry = this.entries.get(path);
    if (entry?.kind === "file") return { kind: "file", path, attr: entry.attr };
    if (entry?.kind === "link") return { kind: "link", path, target: entry.target };
    return this.isDir(path) ? { kind: "dir", path } : null;
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
    const node = this.node(path);
    if (node?.kind === "file") return node.attr;
    if (node) throw new KernelError("EISDIR", `${path}: Is a directory`);
    throw new KernelError("ENOENT", `${path}: No such file or directory`);
  }
}
