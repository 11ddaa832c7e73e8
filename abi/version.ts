// The kernel release and vermagic: what a module must have been built for.

import { ABI_VERSION } from "./kernel.js";

/** The wasm-lkm release (package.json's version; a test keeps them equal). */
export const WASM_LKM_VERSION = "0.1.0";

/** uname -r: names lib/modules/<release>/. */
export const UTS_RELEASE = `${WASM_LKM_VERSION}-wasm-lkm`;

/** The vermagic every module records and the loader compares, as Linux's VERMAGIC_STRING. */
export const VERMAGIC = `${UTS_RELEASE} abi-${ABI_VERSION} mod_unload modversions wasm32 `;

/**
 * Linux's same_magic(): with modversions the release (first word) may differ, since the CRCs check
 * each symbol anyway; everything after it must match.
 */
export function sameMagic(modMagic: string, kernelMagic: string, hasVersions: boolean): boolean {
  if (!hasVersions) return modMagic === kernelMagic;
  const afterRelease = (s: string) => s.slice(s.indexOf(" ") + 1);
  return modMagic.includes(" ") && afterRelease(modMagic) === afterRelease(kernelMagic);
}
