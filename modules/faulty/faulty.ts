// faulty: misbehaves on purpose, so the kernel's containment of module bugs can be seen and tested.

import { ENODEV, ENOMEM, GFP_KERNEL, kfree, kmalloc, pr_err, pr_info } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Fails in the way its mode parameter says");

export let mode: string = "none";
module_param(mode, charp, 0o644);
MODULE_PARM_DESC(mode, "none, enodev (init fails), trap (init traps), leak (never frees), nomem (asks past the cap), bug (BUG in cleanup)");

export let size: u32 = 4096;
module_param(size, uint, 0o444);
MODULE_PARM_DESC(size, "Bytes per allocation for leak and nomem");

/** Blocks kept for the leak mode, never freed. */
let leaked: usize = 0;

function crash(below: usize): i32 {
  // Just below 4 GiB: far past the module's capped memory.
  return load<i32>(<usize>0xfffffff0 - below);
}

function exhaust(): i32 {
  const blocks = new StaticArray<usize>(4096);
  let n = 0;
  while (n < blocks.length) {
    const p = kmalloc(size, GFP_KERNEL);
    if (p == 0) break;
    blocks[n++] = p;
  }
  for (let i = 0; i < n; i++) kfree(blocks[i]);
  pr_err("faulty: kmalloc failed after %u blocks of %u bytes\n", n, size);
  return -ENOMEM;
}

export function init_module(): i32 {
  if (mode == "enodev") return -ENODEV;
  if (mode == "trap") return crash(<usize>size);
  if (mode == "nomem") return exhaust();
  if (mode == "leak") {
    leaked = kmalloc(size, GFP_KERNEL);
    kmalloc(size * 2, GFP_KERNEL);
    pr_info("faulty: holding %u and %u bytes I will never free\n", size, size * 2);
  }
  pr_info("faulty: loaded in mode %s\n", mode);
  return 0;
}

export function cleanup_module(): void {
  if (mode == "bug") abort("faulty: bug mode asked for a BUG in cleanup");
  pr_info("faulty: unloaded\n");
}
