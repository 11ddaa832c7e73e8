// How a failed KUnit check reads (lib/kunit/assert.c): the prologue naming the check's place, then one
// format per kind of check, then the _MSG message. The texts are the check's own source, as C's #left gives.

import { errnoName } from "../../../abi/errno.js";
import { KUNIT_ASSERTION } from "../../../abi/kunit.js";
import { hex } from "../../mm/maccess.js";

/** KUNIT_SUBTEST_INDENT and KUNIT_SUBSUBTEST_INDENT. */
export const SUBTEST_INDENT = "    ";
const SUBSUBTEST_INDENT = "        ";

/** The operands of a failed comparison: their source texts and values. */
export interface Operands<T> {
  readonly op: string;
  readonly leftText: string;
  readonly left: T;
  readonly rightText: string;
  readonly right: T;
}

/** kunit_assert_prologue(): "EXPECTATION FAILED at file:line". */
export function prologue(type: number, loc: string): string {
  return `${type === KUNIT_ASSERTION ? "ASSERTION" : "EXPECTATION"} FAILED at ${loc}\n`;
}

/** kunit_assert_print_msg(): a _MSG check's message on a line of its own. */
function withMessage(text: string, message: string | null): string {
  return message === null ? text : `${text}\n${message}`;
}

function expected(o: Operands<unknown>): string {
  return `${SUBTEST_INDENT}Expected ${o.leftText} ${o.op} ${o.rightText}, but\n`;
}

/** is_literal(): the text is the value's own %lld spelling, so printing it again says nothing. */
function isLiteral(text: string, value: bigint): boolean {
  return text === value.toString();
}

/** is_str_literal(): a quoted literal whose inside starts the value, compared as strncmp() over the inside's length. */
function isStrLiteral(text: string, value: string): boolean {
  if (text.length < 2 || !/^(["']).*\1$/s.test(text)) return false;
  const inside = text.slice(1, -1);
  return value.slice(0, inside.length) === inside;
}

/** kunit_binary_assert_format(): each side that is not a literal as "%lld (0x%llx)". */
export function binaryFormat(o: Operands<bigint>, message: string | null): string {
  const side = (text: string, v: bigint) => `${SUBSUBTEST_INDENT}${text} == ${v} (0x${BigInt.asUintN(64, v).toString(16)})`;
  let s = expected(o);
  if (!isLiteral(o.leftText, o.left)) s += `${side(o.leftText, o.left)}\n`;
  if (!isLiteral(o.rightText, o.right)) s += side(o.rightText, o.right);
  return withMessage(s, message);
}

/** kunit_binary_ptr_assert_format(): both sides as %px, 8 digits on wasm32. */
export function binaryPtrFormat(o: Operands<number>, message: string | null): string {
  const s = `${expected(o)}${SUBSUBTEST_INDENT}${o.leftText} == ${hex(o.left)}\n${SUBSUBTEST_INDENT}${o.rightText} == ${hex(o.right)}`;
  return withMessage(s, message);
}

/** kunit_binary_str_assert_format(): each side that is not a literal, quoted. */
export function binaryStrFormat(o: Operands<string>, message: string | null): string {
  let s = expected(o);
  if (!isStrLiteral(o.leftText, o.left)) s += `${SUBSUBTEST_INDENT}${o.leftText} == "${o.left}"\n`;
  if (!isStrLiteral(o.rightText, o.right)) s += `${SUBSUBTEST_INDENT}${o.rightText} == "${o.right}"`;
  return withMessage(s, message);
}

/** kunit_unary_assert_format(). */
export function unaryFormat(condition: string, expectedTrue: boolean, message: string | null): string {
  const s = expectedTrue
    ? `${SUBTEST_INDENT}Expected ${condition} to be true, but is false\n`
    : `${SUBTEST_INDENT}Expected ${condition} to be false, but is true\n`;
  return withMessage(s, message);
}

/** MAX_ERRNO: the top 4095 addresses are ERR_PTR(-errno) values (IS_ERR_VALUE). */
const MAX_ERRNO = 4095;

/** kunit_ptr_not_err_assert_format(): NULL, or the error as %pe prints it (-ENOMEM). */
export function ptrNotErrFormat(text: string, value: number, message: string | null): string {
  const v = value >>> 0;
  let s = "";
  if (v === 0) s = `${SUBTEST_INDENT}Expected ${text} is not null, but is\n`;
  else if (v >= 2 ** 32 - MAX_ERRNO) {
    const err = v - 2 ** 32;
    const name = errnoName(-err);
    s = `${SUBTEST_INDENT}Expected ${text} is not error, but is ${name ? `-${name}` : err}\n`;
  }
  return withMessage(s, message);
}

/** kunit_assert_hexdump(): 16 bytes a line, the bytes that differ from the other buffer in <>. */
function hexdump(buf: Uint8Array, other: Uint8Array): string {
  let s = SUBSUBTEST_INDENT;
  buf.forEach((b, i) => {
    if (i % 16 === 0 && i > 0) s += `\n${SUBSUBTEST_INDENT}`;
    const byte = b.toString(16).padStart(2, "0");
    s += b !== other[i] ? `<${byte}>` : ` ${byte} `;
  });
  return s;
}

/** kunit_mem_assert_format(): a NULL side named, else both buffers dumped. Null bytes stand for a NULL pointer. */
export function memFormat(o: Operands<Uint8Array | null>, message: string | null): string {
  if (o.left === null) return `${SUBTEST_INDENT}Expected ${o.leftText} is not null, but is\n`;
  if (o.right === null) return `${SUBTEST_INDENT}Expected ${o.rightText} is not null, but is\n`;
  const s = `${expected(o)}${SUBSUBTEST_INDENT}${o.leftText} ==\n${hexdump(o.left, o.right)}\n` +
    `${SUBSUBTEST_INDENT}${o.rightText} ==\n${hexdump(o.right, o.left)}`;
  return withMessage(s, message);
}
