// Poison values for list pointers (include/linux/poison.h).

/**
 * CONFIG_ILLEGAL_POINTER_VALUE for wasm32: an address past any module memory's maximum, so a load or store
 * through a poisoned pointer traps (an Oops), as x86_64's 0xdead000000000000 faults. 0x100 alone would not:
 * low addresses are a module's own data.
 */
export const POISON_POINTER_DELTA = 0xdead0000;

/** What list_del() leaves in entry->next and entry->prev. */
export const LIST_POISON1 = 0x100 + POISON_POINTER_DELTA;
export const LIST_POISON2 = 0x122 + POISON_POINTER_DELTA;
