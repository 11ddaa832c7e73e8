// CONFIG_DEBUG_LIST's reports (lib/list_debug.c): the cold path of a module's list_add and list_del.
//
// The list helpers are inline code in the module (abi/include/list.ts) on list_heads in its own memory; when
// their check of an entry's neighbours fails they call these, which find what is wrong in the order Linux
// checks it, log lib/list_debug.c's message and BUG() (CONFIG_BUG_ON_DATA_CORRUPTION): the module oopses, the
// kernel and other modules go on.

import { STRUCTS } from "../../abi/kernel.js";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { LIST_POISON1, LIST_POISON2 } from "../../abi/poison.js";
import { layoutStruct } from "../../abi/types.js";
import { ModuleBug, readStructOrTrap } from "../kernel/traps.js";
import { hex as px } from "../mm/maccess.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";

const LIST_HEAD = layoutStruct("list_head", STRUCTS.list_head);

/** What CHECK_DATA_CORRUPTION needs from the kernel. */
export interface ListDebugContext {
  printk(message: string, level: number): number;
}

/** __list_add_valid_or_report()'s finding for an insertion of entry between prev and next: null if sound. */
function listAddCorruption(mod: Module, entry: number, prev: number, next: number): string | null {
  if (prev === 0) return "list_add corruption. prev is NULL.";
  if (next === 0) return "list_add corruption. next is NULL.";
  const nextPrev = readStructOrTrap(mod.memory, next, LIST_HEAD).prev!;
  if (nextPrev !== prev) return `list_add corruption. next->prev should be prev (${px(prev)}), but was ${px(nextPrev)}. (next=${px(next)}).`;
  const prevNext = readStructOrTrap(mod.memory, prev, LIST_HEAD).next!;
  if (prevNext !== next) return `list_add corruption. prev->next should be next (${px(next)}), but was ${px(prevNext)}. (prev=${px(prev)}).`;
  if (entry === prev || entry === next) return `list_add double add: new=${px(entry)}, prev=${px(prev)}, next=${px(next)}.`;
  return null;
}

/** __list_del_entry_valid_or_report()'s finding for a removal of entry: null if sound. */
function listDelCorruption(mod: Module, entry: number): string | null {
  const { next, prev } = readStructOrTrap(mod.memory, entry, LIST_HEAD) as { next: number; prev: number };
  if (next === 0) return `list_del corruption, ${px(entry)}->next is NULL`;
  if (prev === 0) return `list_del corruption, ${px(entry)}->prev is NULL`;
  if (next === LIST_POISON1) return `list_del corruption, ${px(entry)}->next is LIST_POISON1 (${px(LIST_POISON1)})`;
  if (prev === LIST_POISON2) return `list_del corruption, ${px(entry)}->prev is LIST_POISON2 (${px(LIST_POISON2)})`;
  const prevNext = readStructOrTrap(mod.memory, prev, LIST_HEAD).next!;
  if (prevNext !== entry) return `list_del corruption. prev->next should be ${px(entry)}, but was ${px(prevNext)}. (prev=${px(prev)})`;
  const nextPrev = readStructOrTrap(mod.memory, next, LIST_HEAD).prev!;
  if (nextPrev !== entry) return `list_del corruption. next->prev should be ${px(entry)}, but was ${px(nextPrev)}. (next=${px(next)})`;
  return null;
}

/** CHECK_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION: pr_err(the finding), then BUG(). True when sound. */
function checkDataCorruption(k: ListDebugContext, finding: string | null): boolean {
  if (finding === null) return true;
  k.printk(finding, LOGLEVELS.KERN_ERR);
  throw new ModuleBug("", "", 0);
}

/** The reports as module `mod` imports them (EXPORT_SYMBOL, as Linux's). */
export function listDebugSymbols(
  k: ListDebugContext,
  mod: Module,
): Pick<KernelFunctions, "__list_add_valid_or_report" | "__list_del_entry_valid_or_report"> {
  return {
    __list_add_valid_or_report: (entry, prev, next) => checkDataCorruption(k, listAddCorruption(mod, entry >>> 0, prev >>> 0, next >>> 0)),
    __list_del_entry_valid_or_report: (entry) => checkDataCorruption(k, listDelCorruption(mod, entry >>> 0)),
  };
}
