// module_param types (include/linux/moduleparam.h) and the AssemblyScript global each one binds to.
//
// wasm32 is ILP32, so long and ulong are 32 bits wide, as in C on a 32-bit kernel.

export interface ParamType {
  /** AssemblyScript types the parameter's exported global may have. */
  readonly as: readonly string[];
  /** Integer range, for the integer types. */
  readonly range?: readonly [bigint, bigint];
}

const int = (as: string[], bits: number, signed: boolean): ParamType => ({
  as,
  range: signed ? [-(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n] : [0n, 2n ** BigInt(bits) - 1n],
});

export const PARAM_TYPES = {
  byte: int(["u8"], 8, false),
  short: int(["i16"], 16, true),
  ushort: int(["u16"], 16, false),
  int: int(["i32"], 32, true),
  uint: int(["u32"], 32, false),
  hexint: int(["u32"], 32, false),
  long: int(["i32", "isize"], 32, true),
  ulong: int(["u32", "usize"], 32, false),
  ullong: int(["u64"], 64, false),
  bool: { as: ["bool"] },
  invbool: { as: ["bool"] },
  charp: { as: ["string"] },
} as const satisfies Record<string, ParamType>;

export type ParamTypeName = keyof typeof PARAM_TYPES;

export function isParamType(name: string): name is ParamTypeName {
  return Object.hasOwn(PARAM_TYPES, name);
}

/** Linux's MAX_PARAM_PREFIX_LEN-bounded charp limit (param_set_charp refuses longer strings with ENOSPC). */
export const CHARP_MAX = 1024;
