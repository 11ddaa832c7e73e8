// Lists in modules (abi/include/list.ts): every helper's result on list_heads in module memory, and
// CONFIG_DEBUG_LIST's reports (host/lib/list_debug.ts), each an Oops of the module only.

import { beforeEach, describe, expect, it } from "vitest";
import { LIST_POISON1, LIST_POISON2 } from "../../abi/poison.js";
import { Kernel } from "../../host/init/main.js";
import { dmesg, insmodOops, kunitCaseResults, moduleFixtures } from "../helpers.js";

const HELPERS = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE } from "@abi/include/kunit";
import * as K from "@abi/include/kunit";
import {
  INIT_LIST_HEAD, LIST_HEAD, list_add, list_add_tail, list_count_nodes, list_del, list_del_init, list_empty, list_entry,
  list_first_entry, list_head, list_is_first, list_is_head, list_is_last, list_last_entry, list_move, list_move_tail, list_next,
  list_prev, list_replace, list_replace_init, list_splice, list_splice_init, list_splice_tail, list_splice_tail_init,
} from "@abi/include/list";
MODULE_LICENSE("GPL");

// @ts-ignore: decorator
@unmanaged class item extends list_head { id: u32 = 0; }
// @ts-ignore: decorator
@unmanaged class pair { tag: u32 = 0; link_next: usize = 0; link_prev: usize = 0; }

function mk(id: u32): item {
  const it = new item();
  it.id = id;
  INIT_LIST_HEAD(it);
  return it;
}

/** The ids from first to last, and checked from last to first too. */
function ids(head: list_head): string {
  let out = "";
  for (let pos = list_next(head); !list_is_head(pos, head); pos = list_next(pos)) out += list_entry<item>(pos).id.toString();
  let back = "";
  for (let pos = list_prev(head); !list_is_head(pos, head); pos = list_prev(pos)) back = list_entry<item>(pos).id.toString() + back;
  return out == back ? out : "broken:" + out + "/" + back;
}

function init(test: kunit): void {
  const head = LIST_HEAD();
  K.KUNIT_EXPECT_TRUE(test, list_empty(head));
  K.KUNIT_EXPECT_EQ(test, head.next, changetype<usize>(head));
  K.KUNIT_EXPECT_EQ(test, head.prev, changetype<usize>(head));
  K.KUNIT_EXPECT_EQ(test, list_count_nodes(head), <usize>0);
}
function add(test: kunit): void {
  const head = LIST_HEAD();
  list_add(mk(1), head);
  list_add(mk(2), head);
  list_add_tail(mk(3), head);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "213");
  K.KUNIT_EXPECT_FALSE(test, list_empty(head));
  K.KUNIT_EXPECT_EQ(test, list_count_nodes(head), <usize>3);
  K.KUNIT_EXPECT_EQ(test, list_first_entry<item>(head).id, 2);
  K.KUNIT_EXPECT_EQ(test, list_last_entry<item>(head).id, 3);
  K.KUNIT_EXPECT_TRUE(test, list_is_first(list_next(head), head));
  K.KUNIT_EXPECT_TRUE(test, list_is_last(list_prev(head), head));
  K.KUNIT_EXPECT_FALSE(test, list_is_last(list_next(head), head));
}
function del(test: kunit): void {
  const head = LIST_HEAD();
  const a = mk(1), b = mk(2), c = mk(3);
  list_add_tail(a, head); list_add_tail(b, head); list_add_tail(c, head);
  list_del(b);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "13");
  K.KUNIT_EXPECT_EQ(test, b.next, <usize>${LIST_POISON1});
  K.KUNIT_EXPECT_EQ(test, b.prev, <usize>${LIST_POISON2});
  list_del_init(a);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "3");
  K.KUNIT_EXPECT_TRUE(test, list_empty(a));
  list_add(a, head);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "13");
}
function replace(test: kunit): void {
  const head = LIST_HEAD();
  const a = mk(1), b = mk(2), c = mk(3), d = mk(4);
  list_add_tail(a, head); list_add_tail(b, head);
  list_replace(a, c);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "32");
  list_replace_init(b, d);
  K.KUNIT_EXPECT_STREQ(test, ids(head), "34");
  K.KUNIT_EXPECT_TRUE(test, list_empty(b));
}
function move(test: kunit): void {
  const from = LIST_HEAD(), to = LIST_HEAD();
  const a = mk(1), b = mk(2), c = mk(3);
  list_add_tail(a, from); list_add_tail(b, from); list_add_tail(c, to);
  list_move(b, to);
  K.KUNIT_EXPECT_STREQ(test, ids(from), "1");
  K.KUNIT_EXPECT_STREQ(test, ids(to), "23");
  list_move_tail(a, to);
  K.KUNIT_EXPECT_STREQ(test, ids(to), "231");
  K.KUNIT_EXPECT_TRUE(test, list_empty(from));
}
function splice(test: kunit): void {
  const x = LIST_HEAD(), y = LIST_HEAD();
  list_add_tail(mk(1), x); list_add_tail(mk(2), x);
  list_add_tail(mk(3), y);
  list_splice(x, y);
  K.KUNIT_EXPECT_STREQ(test, ids(y), "123");
  const z = LIST_HEAD();
  list_add_tail(mk(4), z);
  list_splice_tail_init(z, y);
  K.KUNIT_EXPECT_STREQ(test, ids(y), "1234");
  K.KUNIT_EXPECT_TRUE(test, list_empty(z));
  const w = LIST_HEAD(), v = LIST_HEAD();
  list_add_tail(mk(5), w);
  list_splice_init(w, y);
  K.KUNIT_EXPECT_STREQ(test, ids(y), "51234");
  K.KUNIT_EXPECT_TRUE(test, list_empty(w));
  list_add_tail(mk(6), v);
  list_splice_tail(v, y);
  K.KUNIT_EXPECT_STREQ(test, ids(y), "512346");
  list_splice(LIST_HEAD(), y);
  K.KUNIT_EXPECT_STREQ(test, ids(y), "512346");
}
function safe_walk(test: kunit): void {
  const head = LIST_HEAD();
  for (let i: u32 = 1; i <= 4; i++) list_add_tail(mk(i), head);
  for (let pos = list_next(head), n = list_next(pos); !list_is_head(pos, head); pos = n, n = list_next(pos)) {
    if (list_entry<item>(pos).id % 2 == 0) list_del(pos);
  }
  K.KUNIT_EXPECT_STREQ(test, ids(head), "13");
}
function container_of(test: kunit): void {
  const head = LIST_HEAD();
  const p = new pair();
  p.tag = 42;
  const off = offsetof<pair>("link_next");
  list_add(changetype<list_head>(changetype<usize>(p) + off), head);
  K.KUNIT_EXPECT_EQ(test, list_first_entry<pair>(head, off).tag, 42);
  K.KUNIT_EXPECT_EQ(test, p.link_next, changetype<usize>(head));
}
const suite: kunit_suite = {
  name: "list",
  test_cases: [
    KUNIT_CASE(init), KUNIT_CASE(add), KUNIT_CASE(del), KUNIT_CASE(replace), KUNIT_CASE(move), KUNIT_CASE(splice), KUNIT_CASE(safe_walk),
    KUNIT_CASE(container_of),
  ],
};
kunit_test_suites(suite);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** init_module corrupts a list of a, b, c as mode says, after logging their addresses. */
const BROKEN = `
import { pr_info } from "@abi/include/kernel";
import { INIT_LIST_HEAD, LIST_HEAD, list_add, list_add_tail, list_del, list_head } from "@abi/include/list";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0);
function mk(): list_head {
  const e = new list_head();
  INIT_LIST_HEAD(e);
  return e;
}
export function init_module(): i32 {
  const head = LIST_HEAD();
  const a = mk(), b = mk(), c = mk();
  list_add_tail(a, head); list_add_tail(b, head); list_add_tail(c, head);
  pr_info("head=%x a=%x b=%x c=%x\\n", changetype<usize>(head), changetype<usize>(a), changetype<usize>(b), changetype<usize>(c));
  if (mode == 1) { list_del(b); list_del(b); }
  if (mode == 2) { c.prev = changetype<usize>(a); list_del(b); }
  if (mode == 3) { a.next = changetype<usize>(c); list_del(b); }
  if (mode == 4) { list_add(a, head); }
  if (mode == 5) { c.prev = changetype<usize>(a); list_add(mk(), b); }
  if (mode == 6) { b.prev = 0; list_del(b); }
  if (mode == 7) { b.prev = ${LIST_POISON2}; list_del(b); }
  if (mode == 8) { b.next = 0; list_del(b); }
  if (mode == 9) { a.next = changetype<usize>(c); list_add_tail(mk(), b); }
  return 0;
}
export function cleanup_module(): void {}
`;

/** A proprietary module using lists and a lock: what it imports must be EXPORT_SYMBOL, as Linux's are. */
const PROPRIETARY = `
import { LIST_HEAD, list_add, list_del, list_head } from "@abi/include/list";
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "@abi/include/spinlock";
MODULE_LICENSE("Proprietary");
const head = LIST_HEAD();
const lock = DEFINE_SPINLOCK();
export function init_module(): i32 {
  const e = new list_head();
  spin_lock(lock);
  list_add(e, head);
  list_del(e);
  spin_unlock(lock);
  return 0;
}
export function cleanup_module(): void {}
`;

const fixtures = moduleFixtures("list_debug", { list_helpers: HELPERS, list_broken: BROKEN, list_proprietary: PROPRIETARY });

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("list helpers", () => {
  it("link, unlink, move and splice list_heads in the module's memory as include/linux/list.h does", () => {
    k.insmod(fixtures.get("list_helpers")!);
    expect(kunitCaseResults(k)).toEqual([
      "    ok 1 init", "    ok 2 add", "    ok 3 del", "    ok 4 replace", "    ok 5 move", "    ok 6 splice", "    ok 7 safe_walk", "    ok 8 container_of",
    ]);
  });
});

describe("the reports", () => {
  it("are EXPORT_SYMBOL, as lib/list_debug.c's and the spinlock functions are: a proprietary module binds them", () => {
    const bytes = fixtures.get("list_proprietary")!;
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).map((i) => i.name);
    expect(imports).toEqual(expect.arrayContaining(["spin_bug", "__list_add_valid_or_report", "__list_del_entry_valid_or_report"]));
    k.insmod(bytes);
    expect(k.modules.list().map((m) => m.name)).toEqual(["list_proprietary"]);
  });
});

/** Insmod list_broken with mode=n, which must oops in init_module; returns the entries' %px and what came after. */
function broken(mode: number): { at: Record<string, string>; log: string[] } {
  const [addrs, ...log] = insmodOops(k, "list_broken", fixtures.get("list_broken")!, `mode=${mode}`);
  const at = Object.fromEntries(addrs!.split(" ").map((kv) => kv.split("=")).map(([name, v]) => [name, v!.padStart(8, "0")]));
  return { at, log };
}

describe("CONFIG_DEBUG_LIST's checks", () => {
  it("report a list_del of a deleted entry as LIST_POISON1, and oops the module", () => {
    const { at, log } = broken(1);
    expect(log.slice(0, 2)).toEqual([`list_del corruption, ${at.b}->next is LIST_POISON1 (dead0100)`, "kernel BUG at init_module [list_broken]!"]);
    expect(log).toContain("Oops: invalid opcode: 0000 [#1]");
  });

  it("report a corrupted next as next->prev not pointing back", () => {
    const { at, log } = broken(2);
    expect(log[0]).toBe(`list_del corruption. next->prev should be ${at.b}, but was ${at.a}. (next=${at.c})`);
  });

  it("report a corrupted prev as prev->next not pointing back", () => {
    const { at, log } = broken(3);
    expect(log[0]).toBe(`list_del corruption. prev->next should be ${at.b}, but was ${at.c}. (prev=${at.a})`);
  });

  it("report an entry added twice as a double add", () => {
    const { at, log } = broken(4);
    expect(log[0]).toBe(`list_add double add: new=${at.a}, prev=${at.head}, next=${at.a}.`);
  });

  it("report an insertion whose next does not point back", () => {
    const { at, log } = broken(5);
    expect(log[0]).toBe(`list_add corruption. next->prev should be prev (${at.b}), but was ${at.a}. (next=${at.c}).`);
  });

  it("report NULL and LIST_POISON2 in prev", () => {
    expect(broken(6).log[0]).toMatch(/^list_del corruption, [0-9a-f]{8}->prev is NULL$/);
    k = new Kernel();
    const { at, log } = broken(7);
    expect(log[0]).toBe(`list_del corruption, ${at.b}->prev is LIST_POISON2 (dead0122)`);
  });

  it("report NULL in next, and an insertion whose prev does not point on", () => {
    const null_ = broken(8);
    expect(null_.log[0]).toBe(`list_del corruption, ${null_.at.b}->next is NULL`);
    k = new Kernel();
    const { at, log } = broken(9);
    expect(log[0]).toBe(`list_add corruption. prev->next should be next (${at.b}), but was ${at.c}. (prev=${at.a}).`);
  });

  it("log the finding at KERN_ERR, as pr_err", () => {
    broken(1);
    expect(k.log.read().find((r) => r.text.startsWith("list_del corruption"))?.level).toBe(3);
  });

  it("leave the kernel and other modules working", () => {
    broken(1);
    k.insmod(fixtures.get("list_helpers")!);
    expect(k.modules.list().map((m) => m.name)).toEqual(["list_helpers", "hello"]);
    k.rmmod("hello");
    expect(dmesg(k)).toContain("ok 1 list");
  });
});
