// The few wasm instructions the kernel core is written in, so its hand-assembled code reads as instructions.

import { leb128 } from "../../abi/wasm.js";

export const I32 = 0x7f;
export const VOID = 0x40;

export const OP = {
  if: 0x04, else: 0x05, end: 0x0b, block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24, i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47,
  i32LtU: 0x49, i32GtU: 0x4b, i32LeU: 0x4d, i32GeU: 0x4f, i32Clz: 0x67, i32Ctz: 0x68, i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Or: 0x72,
  i32Xor: 0x73, i32Shl: 0x74, callIndirect: 0x11, brTable: 0x0e,
} as const;

/** memory.size of memory 0 (pages). */
export const MEMORY_SIZE = [0x3f, 0x00];
/** memory.fill of memory 0: (dest, value, length) on the stack. */
export const MEMORY_FILL = [0xfc, 0x0b, 0x00];

/** i32.const n (signed LEB128). */
export function i32Const(n: number): number[] {
  const out: number[] = [0x41];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

/** i32.load at `offset` from the address on the stack (4-byte aligned). */
export const i32Load = (offset: number): number[] => [0x28, 2, ...leb128(offset)];
/** i32.store at `offset` from the address below the value on the stack. */
export const i32Store = (offset: number): number[] => [0x36, 2, ...leb128(offset)];

/** A function body: its size, then `locals` i32 locals and the code. */
export function body(locals: number, code: readonly number[]): number[] {
  const inner = [...(locals ? [1, ...leb128(locals), I32] : [0]), ...code];
  return [...leb128(inner.length), ...inner];
}
