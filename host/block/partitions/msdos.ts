// The MBR partition table (block/partitions/msdos.c): four primary entries at 0x1be, and logical
// partitions in a chain of extended boot records inside an extended one, numbered from 5.
//
// Each entry is 16 bytes: boot indicator, CHS start, type, CHS end, LBA start (le32), sectors (le32).

import type { ParsedPartitions } from "./check.js";

const DOS_EXTENDED_PARTITION = 0x05;
const WIN98_EXTENDED_PARTITION = 0x0f;
const LINUX_EXTENDED_PARTITION = 0x85;
const EFI_PMBR_OSTYPE_EFI_GPT = 0xee;
/** parse_extended() gives up after this many links without a data partition (a loop in the chain). */
const MAX_LINKS = 100;

interface Entry {
  readonly bootInd: number;
  readonly sysInd: number;
  readonly start: number;
  readonly size: number;
}

function entries(data: Uint8Array): Entry[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return [0, 1, 2, 3].map((i) => {
    const at = 0x1be + i * 16;
    return { bootInd: data[at]!, sysInd: data[at + 4]!, start: view.getUint32(at + 8, true), size: view.getUint32(at + 12, true) };
  });
}

const magicPresent = (data: Uint8Array): boolean => data[510] === 0x55 && data[511] === 0xaa;

const isExtended = (e: Entry): boolean =>
  e.sysInd === DOS_EXTENDED_PARTITION || e.sysInd === WIN98_EXTENDED_PARTITION || e.sysInd === LINUX_EXTENDED_PARTITION;

/** fat_valid_media(): a FAT boot sector's media byte. */
const fatValidMedia = (media: number): boolean => media >= 0xf8 || media === 0xf0;

/**
 * msdos_partition(): 1 when the disk has an MBR (its partitions put into state), 0 when it has not (no
 * 55aa signature, a boot indicator other than 0 and 0x80, a protective GPT entry), -1 when sector 0
 * cannot be read.
 */
export function msdosPartition(state: ParsedPartitions): number {
  const data = state.readSector(0);
  if (!data) return -1;
  if (!magicPresent(data)) return 0;
  const primary = entries(data);
  for (const [slot, e] of primary.entries()) {
    if (e.bootInd === 0 || e.bootInd === 0x80) continue;
    // Without a valid boot indicator it may still be a FAT filesystem without a partition table.
    const fatBoot = slot === 0 && (data[14]! | (data[15]! << 8)) !== 0 && data[16] !== 0 && fatValidMedia(data[21]!);
    if (!fatBoot) return 0;
    state.line += "\n";
    return 1;
  }
  if (primary.some((e) => e.sysInd === EFI_PMBR_OSTYPE_EFI_GPT)) return 0;
  state.next = 5;
  for (const [i, e] of primary.entries()) {
    if (e.size === 0) continue;
    if (isExtended(e)) {
      // Leave room for a boot loader, as Linux does, but keep mkfs off the extended partition itself.
      state.put(i + 1, e.start, Math.min(e.size, 2));
      state.line += " <";
      parseExtended(state, e.start, e.size);
      state.line += " >";
      continue;
    }
    state.put(i + 1, e.start, e.size);
  }
  state.line += "\n";
  return 1;
}

/**
 * parse_extended(): each EBR's first data entry is a logical partition (relative to that EBR); its first
 * extended entry links to the next EBR (relative to the extended partition).
 */
function parseExtended(state: ParsedPartitions, firstSector: number, firstSize: number): void {
  let thisSector = firstSector;
  let thisSize = firstSize;
  for (let links = 0; ++links <= MAX_LINKS && state.next < state.limit; ) {
    const data = state.readSector(thisSector);
    if (!data || !magicPresent(data)) return;
    const es = entries(data);
    for (const [i, e] of es.entries()) {
      if (e.size === 0 || isExtended(e)) continue;
      const next = thisSector + e.start;
      // The 3rd and 4th entries sometimes hold garbage: they count only inside the extended partition.
      if (i >= 2 && (e.start + e.size > thisSize || next < firstSector || next + e.size > firstSector + firstSize)) continue;
      state.put(state.next, next, e.size);
      links = 0;
      if (++state.next === state.limit) return;
    }
    const link = es.find((e) => e.size !== 0 && isExtended(e));
    if (!link) return;
    thisSector = firstSector + link.start;
    thisSize = link.size;
  }
}
