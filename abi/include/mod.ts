// Linked into every module, as the .mod.c modpost generates is: the entry points the kernel calls for kmalloc.
//
// kmalloc blocks come from the module's own heap (heap.alloc: the runtime's TLSF, invisible to the GC),
// so the module's allocator never hands the same bytes out twice; the kernel keeps the accounting.

export function __heap_alloc(size: usize): usize {
  return heap.alloc(size);
}

export function __heap_free(ptr: usize): void {
  heap.free(ptr);
}
