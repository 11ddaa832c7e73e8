// Doubly linked lists for modules (include/linux/list.h), with CONFIG_DEBUG_LIST's checks.
//
// A list_head is two addresses in the module's memory, next and prev; a list is a head whose entries link
// round back to it, and an entry is embedded in the struct it links. In AssemblyScript an @unmanaged class
// embeds one by extending list_head (the entry is then at offset 0), and list_entry() gets the struct back:
//
//   @unmanaged class my_dev extends list_head { id: u32 = 0; }
//   const devices = LIST_HEAD();
//   const d = new my_dev();
//   list_add_tail(d, devices);
//   for (let pos = list_next(devices); !list_is_head(pos, devices); pos = list_next(pos)) {
//     const dev = list_entry<my_dev>(pos);
//   }
//
// (list_for_each_safe, for a walk that deletes: `for (let pos = list_next(head), n = list_next(pos);
// !list_is_head(pos, head); pos = n, n = list_next(pos))`.) A second list_head in a struct sits in two usize
// fields, its address changetype<usize>(dev) + offsetof<T>("first_of_them"), and list_entry takes that offset.
//
// Everything is inline code on the module's own memory. list_add, list_del and what builds on them check the
// neighbours first, as lib/list_debug.c does; a failed check calls the kernel's report, which logs Linux's
// message and oopses the module (CONFIG_BUG_ON_DATA_CORRUPTION). list_del leaves LIST_POISON1 and
// LIST_POISON2 in the entry, addresses past any module's memory: a use after it traps.

import {
  __list_add_valid_or_report, __list_del_entry_valid_or_report, LIST_POISON1, LIST_POISON2, list_head,
} from "./kernel";

export { list_head };

/** INIT_LIST_HEAD(): an empty list, or an entry on none. */
// @ts-ignore: decorator
@inline export function INIT_LIST_HEAD(list: list_head): void {
  list.next = changetype<usize>(list);
  list.prev = changetype<usize>(list);
}

/** LIST_HEAD(name): `const name = LIST_HEAD();` at the top level, an empty list that lives as long as the module. */
export function LIST_HEAD(): list_head {
  const head = new list_head();
  INIT_LIST_HEAD(head);
  return head;
}

/** The entry after pos (pos->next). */
// @ts-ignore: decorator
@inline export function list_next(pos: list_head): list_head {
  return changetype<list_head>(pos.next);
}

/** The entry before pos (pos->prev). */
// @ts-ignore: decorator
@inline export function list_prev(pos: list_head): list_head {
  return changetype<list_head>(pos.prev);
}

/** list_entry(ptr, type, member) / container_of: the T whose list_head at `offset` is ptr. */
// @ts-ignore: decorator
@inline export function list_entry<T>(ptr: list_head, offset: usize = 0): T {
  return changetype<T>(changetype<usize>(ptr) - offset);
}

/** list_first_entry(): the first entry's T; the list must not be empty. */
// @ts-ignore: decorator
@inline export function list_first_entry<T>(head: list_head, offset: usize = 0): T {
  return list_entry<T>(list_next(head), offset);
}

/** list_last_entry(): the last entry's T; the list must not be empty. */
// @ts-ignore: decorator
@inline export function list_last_entry<T>(head: list_head, offset: usize = 0): T {
  return list_entry<T>(list_prev(head), offset);
}

/** __list_add_valid(): the neighbours agree and the entry is not one of them; else the report (which oopses). */
// @ts-ignore: decorator
@inline function __list_add_valid(entry: list_head, prev: list_head, next: list_head): bool {
  const e = changetype<usize>(entry);
  const p = changetype<usize>(prev);
  const n = changetype<usize>(next);
  if (next.prev == p && prev.next == n && e != p && e != n) return true;
  return __list_add_valid_or_report(entry, prev, next);
}

/** __list_del_entry_valid(): poison, NULL and the neighbours' links checked before anything is read through them. */
// @ts-ignore: decorator
@inline function __list_del_entry_valid(entry: list_head): bool {
  const next = entry.next;
  const prev = entry.prev;
  const e = changetype<usize>(entry);
  if (next != LIST_POISON1 && prev != LIST_POISON2 && next != 0 && prev != 0 && list_prev(entry).next == e && list_next(entry).prev == e) {
    return true;
  }
  return __list_del_entry_valid_or_report(entry);
}

// @ts-ignore: decorator
@inline function __list_add(entry: list_head, prev: list_head, next: list_head): void {
  if (!__list_add_valid(entry, prev, next)) return;
  next.prev = changetype<usize>(entry);
  entry.next = changetype<usize>(next);
  entry.prev = changetype<usize>(prev);
  prev.next = changetype<usize>(entry);
}

/** list_add(new, head): new right after head (a stack). */
// @ts-ignore: decorator
@inline export function list_add(entry: list_head, head: list_head): void {
  __list_add(entry, head, list_next(head));
}

/** list_add_tail(new, head): new right before head (a queue). */
// @ts-ignore: decorator
@inline export function list_add_tail(entry: list_head, head: list_head): void {
  __list_add(entry, list_prev(head), head);
}

// @ts-ignore: decorator
@inline function __list_del_entry(entry: list_head): void {
  if (!__list_del_entry_valid(entry)) return;
  list_next(entry).prev = entry.prev;
  list_prev(entry).next = entry.next;
}

/** list_del(): the entry out of its list, its pointers poisoned. */
// @ts-ignore: decorator
@inline export function list_del(entry: list_head): void {
  __list_del_entry(entry);
  entry.next = LIST_POISON1;
  entry.prev = LIST_POISON2;
}

/** list_del_init(): the entry out of its list and empty, so list_empty() says so and it can be added again. */
// @ts-ignore: decorator
@inline export function list_del_init(entry: list_head): void {
  __list_del_entry(entry);
  INIT_LIST_HEAD(entry);
}

/** list_replace(old, new): new where old was (old's pointers are left as they were). */
// @ts-ignore: decorator
@inline export function list_replace(old: list_head, entry: list_head): void {
  entry.next = old.next;
  list_next(entry).prev = changetype<usize>(entry);
  entry.prev = old.prev;
  list_prev(entry).next = changetype<usize>(entry);
}

/** list_replace_init(old, new): list_replace, then old empty. */
// @ts-ignore: decorator
@inline export function list_replace_init(old: list_head, entry: list_head): void {
  list_replace(old, entry);
  INIT_LIST_HEAD(old);
}

/** list_move(list, head): the entry out of its list and right after head. */
// @ts-ignore: decorator
@inline export function list_move(list: list_head, head: list_head): void {
  __list_del_entry(list);
  list_add(list, head);
}

/** list_move_tail(list, head): the entry out of its list and right before head. */
// @ts-ignore: decorator
@inline export function list_move_tail(list: list_head, head: list_head): void {
  __list_del_entry(list);
  list_add_tail(list, head);
}

/** list_is_first(list, head): whether list is head's first entry. */
// @ts-ignore: decorator
@inline export function list_is_first(list: list_head, head: list_head): bool {
  return list.prev == changetype<usize>(head);
}

/** list_is_last(list, head): whether list is head's last entry. */
// @ts-ignore: decorator
@inline export function list_is_last(list: list_head, head: list_head): bool {
  return list.next == changetype<usize>(head);
}

/** list_is_head(list, head): whether a walk has come back round to head. */
// @ts-ignore: decorator
@inline export function list_is_head(list: list_head, head: list_head): bool {
  return changetype<usize>(list) == changetype<usize>(head);
}

/** list_empty(head): whether the list has no entries. */
// @ts-ignore: decorator
@inline export function list_empty(head: list_head): bool {
  return head.next == changetype<usize>(head);
}

/** list_count_nodes(head): how many entries the list has. */
export function list_count_nodes(head: list_head): usize {
  let count: usize = 0;
  for (let pos = list_next(head); !list_is_head(pos, head); pos = list_next(pos)) count++;
  return count;
}

// @ts-ignore: decorator
@inline function __list_splice(list: list_head, prev: list_head, next: list_head): void {
  const first = list_next(list);
  const last = list_prev(list);
  first.prev = changetype<usize>(prev);
  prev.next = changetype<usize>(first);
  last.next = changetype<usize>(next);
  next.prev = changetype<usize>(last);
}

/** list_splice(list, head): list's entries at the front of head's; list itself is left as it was (stale). */
// @ts-ignore: decorator
@inline export function list_splice(list: list_head, head: list_head): void {
  if (!list_empty(list)) __list_splice(list, head, list_next(head));
}

/** list_splice_tail(list, head): list's entries at the back of head's. */
// @ts-ignore: decorator
@inline export function list_splice_tail(list: list_head, head: list_head): void {
  if (!list_empty(list)) __list_splice(list, list_prev(head), head);
}

/** list_splice_init(list, head): list_splice, then list empty. */
// @ts-ignore: decorator
@inline export function list_splice_init(list: list_head, head: list_head): void {
  if (list_empty(list)) return;
  __list_splice(list, head, list_next(head));
  INIT_LIST_HEAD(list);
}

/** list_splice_tail_init(list, head): list_splice_tail, then list empty. */
// @ts-ignore: decorator
@inline export function list_splice_tail_init(list: list_head, head: list_head): void {
  if (list_empty(list)) return;
  __list_splice(list, list_prev(head), head);
  INIT_LIST_HEAD(list);
}
