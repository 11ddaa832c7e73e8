// The list of filesystem types (fs/filesystems.c): register_filesystem, get_fs_type and /proc/filesystems.

import { KernelError } from "../kernel/error.js";
import type { FileSystemType } from "./fs.js";

export class Filesystems {
  private readonly types: FileSystemType[] = [];

  /** register_filesystem(): EBUSY if a type of that name is registered already. */
  register(type: FileSystemType): void {
    if (this.find(type.name)) throw new KernelError("EBUSY", `register_filesystem: ${type.name} is already registered`);
    this.types.push(type);
  }

  /** unregister_filesystem(): EINVAL if it is not registered. */
  unregister(type: FileSystemType): void {
    const at = this.types.indexOf(type);
    if (at < 0) throw new KernelError("EINVAL", `unregister_filesystem: ${type.name} is not registered`);
    this.types.splice(at, 1);
  }

  find(name: string): FileSystemType | undefined {
    return this.types.find((t) => t.name === name);
  }

  /** /proc/filesystems: "nodev\tNAME" for filesystems without a block device, "\tNAME" for the others. */
  show(): string {
    return this.types.map((t) => `${t.requiresDev ? "" : "nodev"}\t${t.name}\n`).join("");
  }
}
