// The dentry cache (fs/dcache.c): names in the tree, each with its inode, its parent and the names below it.
//
// Every name the VFS has looked up stays cached until it is unlinked or renamed away; an unlinked dentry
// is unhashed but lives on in the open files and cwds that hold it.

import type { Inode } from "./fs.js";

export class Dentry {
  readonly children = new Map<string, Dentry>();
  /** Mounts on this dentry (d_mountpoint). */
  mounted = 0;
  /** Removed from its parent by unlink, rmdir or a rename over it (d_unhashed). */
  unhashed = false;

  constructor(
    public name: string,
    public parent: Dentry | null,
    public inode: Inode,
  ) {}

  /** d_alloc + d_add: cache a name found or made below this dentry. */
  add(name: string, inode: Inode): Dentry {
    const child = new Dentry(name, this, inode);
    this.children.set(name, child);
    return child;
  }

  /** d_delete: drop a name from the cache. */
  drop(name: string): void {
    const child = this.children.get(name);
    if (!child) return;
    child.unhashed = true;
    this.children.delete(name);
  }

  /** d_move: take this dentry to a new parent and name, replacing whatever was cached there. */
  move(newParent: Dentry, newName: string): void {
    this.parent!.children.delete(this.name);
    newParent.drop(newName);
    this.parent = newParent;
    this.name = newName;
    newParent.children.set(newName, this);
  }

  /** d_ancestor: whether this dentry is `other` or lies below it. */
  isBelow(other: Dentry): boolean {
    for (let d: Dentry | null = this; d; d = d.parent) if (d === other) return true;
    return false;
  }
}
