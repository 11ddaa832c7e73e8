// ramfs's directories: each name's inode and the readdir position it was made at (ramfs_test.ts tests them).

/** A name in a directory: its inode, and its readdir position (2 onwards, after "." and ".."). */
export class Entry {
  constructor(public inode: u32, public offset: i32) {}
}

export class Dir {
  entries: Map<string, Entry> = new Map<string, Entry>();
  nextOffset: i32 = 2;

  /** Link a name at a position past every other; a replaced name goes to the end too, as a new one does. */
  link(name: string, inode: u32): void {
    this.entries.delete(name);
    this.entries.set(name, new Entry(inode, this.nextOffset++));
  }

  has(name: string): bool {
    return this.entries.has(name);
  }

  get(name: string): u32 {
    return this.entries.get(name).inode;
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  get size(): i32 {
    return this.entries.size;
  }
}
