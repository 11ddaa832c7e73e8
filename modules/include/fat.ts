// The symbols the fat module exports, as vfat and msdos import them (what fs/fat/fat.h is to them).

/** Read a FAT superblock of the caller's filesystem and serve it; the root inode or -errno. */
// @ts-ignore: decorator
@external("kernel", "fat_fill_super")
export declare function fat_fill_super(sb: u32, flags: i32, isvfat: bool): i32;

/** Write back FSInfo and the clean state, and forget the superblock's inodes. */
// @ts-ignore: decorator
@external("kernel", "fat_kill_sb")
export declare function fat_kill_sb(sb: u32): void;
