// Licences the kernel treats as GPL-compatible (include/linux/license.h), compared exactly as Linux does.

const GPL_COMPATIBLE: ReadonlySet<string> = new Set([
  "GPL",
  "GPL v2",
  "GPL and additional rights",
  "Dual BSD/GPL",
  "Dual MIT/GPL",
  "Dual MPL/GPL",
]);

/** license_is_gpl_compatible(): only these exact strings may bind EXPORT_SYMBOL_GPL symbols. */
export function licenseIsGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE.has(license);
}
