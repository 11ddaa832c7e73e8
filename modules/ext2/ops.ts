// The operation tables of ext2's inodes (ext2_dir_inode_operations, ext2_file_operations...), filled by
// init_module and given to each inode by its type.

import {
  file_operations, inode_operations, inode_set_ops, S_IFDIR, S_IFMT, S_IFREG, super_operations,
} from "../../abi/include/kernel";

export const dirIops = new inode_operations();
export const dirFops = new file_operations();
export const fileIops = new inode_operations();
export const fileFops = new file_operations();
export const sops = new super_operations();

/** Each inode gets its type's operations; symlinks and device nodes keep the VFS's. */
export function setOps(handle: u32, mode: u32): void {
  const type = mode & S_IFMT;
  if (type == S_IFDIR) inode_set_ops(handle, dirIops, dirFops);
  else if (type == S_IFREG) inode_set_ops(handle, fileIops, fileFops);
}
