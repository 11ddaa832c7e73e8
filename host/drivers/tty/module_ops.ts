// tty drivers and line disciplines in modules: the tty_* symbols, the module's tty_driver, tty_operations
// and tty_ldisc_ops read from its memory, and what a module left registered taken back at rmmod.
//
// Module code names a tty and a port by handle. Bytes the core hands a module (a write to its driver, what
// a line received for its discipline) are copied into a kmalloc block of the module's for the call.

import { STRUCTS } from "../../../abi/kernel.js";
import { layoutStruct } from "../../../abi/types.js";
import { strerror } from "../../../abi/errno.js";
import { baudCode, baudOf, CBAUD, ENOIOCTLCMD } from "../../../abi/termios.js";
import type { Devices } from "../base/core.js";
import type { File } from "../../fs/fs.js";
import { discardRefusal, KernelError, refusal } from "../../kernel/error.js";
import type { PollTable } from "../../kernel/wait.js";
import type { Idr } from "../../lib/idr.js";
import { moduleFunction, type Guard, type ModuleFn } from "../../module/fnptr.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { Idr as Handles } from "../../lib/idr.js";
import type { Tty, TtyCore, TtyDriver, TtyDriverType, TtyOperations } from "./tty_io.js";
import type { LdiscOps } from "./tty_ldisc.js";
import type { TtyPort } from "./tty_port.js";

const LAYOUT = {
  driver: layoutStruct("tty_driver", STRUCTS.tty_driver),
  ops: layoutStruct("tty_operations", STRUCTS.tty_operations),
  ldisc: layoutStruct("tty_ldisc_ops", STRUCTS.tty_ldisc_ops),
};

/** TTY_DRIVER_TYPE_SYSTEM, _CONSOLE, _SERIAL: the types a module's driver may be. */
const DRIVER_TYPES: Record<number, TtyDriverType> = { 1: "system", 2: "console", 3: "serial" };

type TtySymbols = Pick<
  KernelFunctions,
  | "tty_register_driver" | "tty_unregister_driver" | "tty_port_register_device" | "tty_port_unregister_device"
  | "tty_insert_flip_string" | "tty_flip_buffer_push" | "tty_port_tty_wakeup" | "tty_index" | "tty_get_baud_rate"
  | "tty_encode_baud_rate" | "tty_register_ldisc" | "tty_unregister_ldisc" | "tty_driver_write" | "tty_write_room"
>;

function check(ret: number, what: string): number {
  if (ret < 0) throw new KernelError(-ret, `${what}: ${strerror(-ret)}`);
  return ret;
}

export interface ModuleTtyContext {
  readonly core: TtyCore;
  readonly devices: Devices;
  readonly guard: Guard;
  /** The handles file operations give modules, so file_flags works on a discipline's file. */
  readonly files: Idr<File>;
  readonly pollTables: Idr<PollTable>;
}

export class ModuleTtys {
  private readonly ttys = new Handles<Tty>();
  private readonly ports = new Handles<TtyPort>();
  /** Each module's drivers, by the address of its struct tty_driver. */
  private readonly drivers = new Map<Module, Map<number, TtyDriver>>();

  constructor(private readonly ctx: ModuleTtyContext) {
    ctx.core.onRelease.push((tty) => this.ttys.remove(tty));
  }

  private fn(mod: Module, index: number, what: string): ModuleFn | undefined {
    return index === 0 ? undefined : this.ctx.guard(mod, moduleFunction<ModuleFn>(mod, index, what));
  }

  /** Run fn with bytes copied into a kmalloc block of the module's. */
  private withBytes<T>(mod: Module, bytes: Uint8Array, fn: (ptr: number, len: number) => T): T {
    const ptr = mod.slab.kmalloc(Math.max(bytes.length, 1), 0);
    if (ptr === 0) throw new KernelError("ENOMEM", `${mod.name}: no memory for ${bytes.length} bytes of tty data`);
    try {
      mod.memory.bytes(ptr, bytes.length).set(bytes);
      return fn(ptr, bytes.length);
    } finally {
      mod.slab.kfree(ptr);
    }
  }

  private operations(mod: Module, ptr: number, name: string): TtyOperations {
    const o = mod.memory.readStruct(ptr, LAYOUT.ops);
    const [open, close, write, writeRoom, setTermios] = ["open", "close", "write", "write_room", "set_termios"].map((f) =>
      this.fn(mod, o[f]!, `${name}: tty_operations.${f}`),
    );
    if (!write) throw new KernelError("EINVAL", `${name}: tty_operations without write`);
    const h = (tty: Tty) => this.ttys.handle(tty);
    const ops: TtyOperations = {
      write: (tty, bytes) => this.withBytes(mod, bytes, (p, n) => check(write(h(tty), p, n), `${tty.name}: write`)),
    };
    if (open) ops.open = (tty) => void check(open(h(tty)), `${tty.name}: open`);
    if (close) ops.close = (tty) => void close(h(tty));
    if (writeRoom) ops.writeRoom = (tty) => Math.max(0, writeRoom(h(tty)));
    if (setTermios) ops.setTermios = (tty) => void setTermios(h(tty));
    return ops;
  }

  private register(mod: Module, drvPtr: number, opsPtr: number): void {
    const d = mod.memory.readStruct(drvPtr, LAYOUT.driver);
    const name = mod.memory.readName(d.name!, "tty driver name", { forbidden: "/ " });
    const type = DRIVER_TYPES[d.type!];
    if (!type) throw new KernelError("EINVAL", `${name}: tty driver type ${d.type} (1 system, 2 console, 3 serial)`);
    if (d.num === 0 || d.minor_start! + d.num! > 256) throw new KernelError("EINVAL", `${name}: minors ${d.minor_start}..+${d.num} outside 0-255`);
    const driver: TtyDriver = {
      driverName: mod.memory.readName(d.driver_name!, "tty driver_name"), name, major: d.major!, minorStart: d.minor_start!, num: d.num!,
      type, initCflag: d.init_cflag!, ops: this.operations(mod, opsPtr, name), owner: mod,
    };
    const mine = this.drivers.get(mod) ?? new Map<number, TtyDriver>();
    if (mine.has(drvPtr)) throw new KernelError("EBUSY", `${name}: tty driver already registered`);
    this.ctx.core.register(driver);
    mine.set(drvPtr, driver);
    this.drivers.set(mod, mine);
  }

  private driver(mod: Module, ptr: number, fn: string): TtyDriver {
    const driver = this.drivers.get(mod)?.get(ptr);
    if (!driver) throw new KernelError("EINVAL", `${mod.name}: ${fn} of a tty driver it did not register`);
    return driver;
  }

  private unregister(mod: Module, driver: TtyDriver, ptr: number): void {
    this.ctx.core.unregister(driver);
    this.drivers.get(mod)?.delete(ptr);
  }

  private ldiscOps(mod: Module, ptr: number): LdiscOps {
    const o = mod.memory.readStruct(ptr, LAYOUT.ldisc);
    const name = mod.memory.readName(o.name!, "line discipline name");
    const f = (field: string) => this.fn(mod, o[field]!, `${name}: tty_ldisc_ops.${field}`);
    const [open, close, read, write, ioctl, poll, receive, wakeup] =
      ["open", "close", "read", "write", "ioctl", "poll", "receive_buf", "write_wakeup"].map(f);
    const h = (tty: Tty) => this.ttys.handle(tty);
    const fh = (file: File) => this.ctx.files.handle(file);
    const ops: LdiscOps = { num: o.num! | 0, name, owner: mod };
    if (open) ops.open = (tty) => void check(open(h(tty)), `${tty.name}: ${name} open`);
    if (close) ops.close = (tty) => void close(h(tty));
    if (read) ops.read = (tty, file, ubuf, count) => check(read(h(tty), fh(file), ubuf, count), `${tty.name}: read`);
    if (write) ops.write = (tty, file, ubuf, count) => check(write(h(tty), fh(file), ubuf, count), `${tty.name}: write`);
    if (ioctl) {
      ops.ioctl = (tty, file, cmd, arg) => {
        const ret = ioctl(h(tty), fh(file), cmd, arg);
        return ret === -ENOIOCTLCMD ? undefined : check(ret, `${tty.name}: ioctl`);
      };
    }
    if (poll) {
      ops.poll = (tty, file, pt) => {
        const handle = this.ctx.pollTables.handle(pt);
        try {
          return check(poll(h(tty), fh(file), handle), `${tty.name}: poll`);
        } finally {
          this.ctx.pollTables.remove(pt);
        }
      };
    }
    if (receive) ops.receiveBuf = (tty, bytes) => this.withBytes(mod, bytes, (p, n) => void receive(h(tty), p, 0, n));
    if (wakeup) ops.writeWakeup = (tty) => void wakeup(h(tty));
    return ops;
  }

  /** The drivers and disciplines a module left registered, taken back at its rmmod: a line for each. */
  reclaim(mod: Module): string[] {
    const lines = this.ctx.core.ldiscs.reclaim(mod);
    for (const [ptr, driver] of this.drivers.get(mod) ?? []) {
      discardRefusal(() => this.unregister(mod, driver, ptr));
      lines.push(`tty driver ${driver.name} still registered at unload; unregistered`);
    }
    this.drivers.delete(mod);
    for (const port of [...this.ports.values()]) if (port.driver.owner === mod) this.ports.remove(port);
    return lines;
  }

  symbols(mod: Module): TtySymbols {
    const guarded = (fn: () => number): number => {
      try {
        return fn();
      } catch (e) {
        return refusal(e);
      }
    };
    const tty = (h: number): Tty => {
      const t = this.ttys.find(h);
      if (!t) throw new KernelError("EINVAL", `${mod.name}: tty ${h} is not an open tty`);
      return t;
    };
    const port = (h: number): TtyPort => {
      const p = this.ports.find(h);
      if (!p || p.driver.owner !== mod) throw new KernelError("EINVAL", `${mod.name}: tty port ${h} is not its own`);
      return p;
    };
    return {
      tty_register_driver: (drv, ops) => guarded(() => (this.register(mod, drv, ops), 0)),
      tty_unregister_driver: (drv) => discardRefusal(() => this.unregister(mod, this.driver(mod, drv, "tty_unregister_driver"), drv)),
      tty_port_register_device: (drv, index) =>
        guarded(() => {
          const driver = this.driver(mod, drv, "tty_port_register_device");
          const p = this.ctx.core.addPort(driver, index);
          try {
            this.ctx.devices.create(mod, driver.major, driver.minorStart + index, `${driver.name}${index}`);
          } catch (e) {
            this.ctx.core.removePort(p);
            throw e;
          }
          return this.ports.handle(p);
        }),
      tty_port_unregister_device: (h) =>
        discardRefusal(() => {
          const p = port(h);
          this.ctx.core.removePort(p);
          this.ctx.devices.destroy(mod, p.driver.major, p.driver.minorStart + p.index);
          this.ports.remove(p);
        }),
      tty_insert_flip_string: (h, buf, len) => guarded(() => port(h).insert(mod.memory.bytes(buf, len).slice())),
      tty_flip_buffer_push: (h) => discardRefusal(() => port(h).push()),
      tty_port_tty_wakeup: (h) => discardRefusal(() => port(h).wakeup()),
      tty_index: (h) => guarded(() => tty(h).index),
      tty_get_baud_rate: (h) => guarded(() => baudOf(tty(h).termios.cflag)),
      tty_encode_baud_rate: (h, ibaud) =>
        discardRefusal(() => {
          const t = tty(h);
          const code = baudCode(ibaud);
          if (code !== undefined) t.termios.cflag = (t.termios.cflag & ~CBAUD) | code;
        }),
      tty_register_ldisc: (ops) => guarded(() => (this.ctx.core.ldiscs.register(this.ldiscOps(mod, ops)), 0)),
      tty_unregister_ldisc: (ops) =>
        discardRefusal(() => this.ctx.core.ldiscs.unregister(mod.memory.readStruct(ops, LAYOUT.ldisc).num! | 0, mod)),
      tty_driver_write: (h, buf, count) => guarded(() => tty(h).write(mod.memory.bytes(buf, count).slice())),
      tty_write_room: (h) => guarded(() => Math.min(tty(h).writeRoom(), 0x7fffffff)),
    };
  }
}
