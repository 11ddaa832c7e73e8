// kallsyms: the one symbol table, the base kernel's exports and those of every LIVE module.

import { abiPrototype, crc32 } from "../../abi/crc.js";
import { KERNEL_SYMBOLS, STRUCTS, type KernelSymbolName } from "../../abi/kernel.js";
import type { Module } from "./internal.js";

export interface KernelSymbol {
  readonly name: string;
  /** null for the base kernel. */
  readonly owner: Module | null;
  readonly crc: number;
  /** EXPORT_SYMBOL_GPL. */
  readonly gpl: boolean;
  /** 'T' for code, 'D' for data, as /proc/kallsyms types them. */
  readonly type: "T" | "D";
  /** A module's wasm export, bound as it is; base-kernel symbols are bound per importer (host/module/ksyms.ts). */
  readonly value?: WebAssembly.ExportValue;
}

/** The CRC every module built against abi/ recorded for a base-kernel symbol. */
export function kernelSymbolCrc(name: KernelSymbolName): number {
  return crc32(abiPrototype(name, KERNEL_SYMBOLS[name], STRUCTS));
}

export class Kallsyms {
  private readonly syms = new Map<string, KernelSymbol>();

  constructor() {
    for (const name of Object.keys(KERNEL_SYMBOLS) as KernelSymbolName[]) {
      const def = KERNEL_SYMBOLS[name];
      this.syms.set(name, { name, owner: null, crc: kernelSymbolCrc(name), gpl: def.gpl, type: def.kind === "func" ? "T" : "D" });
    }
  }

  /** find_symbol(): undefined if no one exports it. */
  find(name: string): KernelSymbol | undefined {
    return this.syms.get(name);
  }

  /** Publish a LIVE module's exports; the loader has already refused duplicates. */
  publish(syms: readonly KernelSymbol[]): void {
    for (const s of syms) this.syms.set(s.name, s);
  }

  /** Forget every symbol a module exports (its own list, so the cost does not grow with the table). */
  unpublish(owner: Module): void {
    for (const name of owner.syms.keys()) if (this.syms.get(name)?.owner === owner) this.syms.delete(name);
  }

  /** /proc/kallsyms: addresses read as zeros (kptr_restrict), module symbols tagged with [module]. */
  show(): string {
    return [...this.syms.values()]
      .map((s) => `0000000000000000 ${s.type} ${s.name}${s.owner ? `\t[${s.owner.name}]` : ""}\n`)
      .join("");
  }
}
