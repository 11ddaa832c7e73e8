// /proc/PID and /proc/self (fs/proc/base.c, fs/proc/self.c, fs/proc/fd.c): per-task entries made on demand.

import { currentOrNull, type Task } from "../../kernel/sched.js";
import { dPath } from "../d_path.js";
import type { KernfsAttr, KernfsNode } from "../kernfs.js";
import type { KernfsTree } from "../kernfs_mount.js";

/** What /proc needs to know about tasks. */
export interface TaskList {
  find(pid: number): Task | undefined;
  pids(): number[];
}

const PID_ENTRIES = ["comm", "cwd", "fd"];

/** Each task's /proc/PID/comm attribute, made once so that its descriptors stay valid (see activeAttr). */
const commAttrs = new WeakMap<Task, KernfsAttr>();

function commAttr(task: Task): KernfsAttr {
  let attr = commAttrs.get(task);
  if (!attr) commAttrs.set(task, (attr = { mode: 0o644, show: () => `${task.comm}\n` }));
  return attr;
}

/** The kernfs tree under /proc with the tasks' directories and /proc/self laid over it. */
export function procTree(static_: KernfsTree, tasks: TaskList): KernfsTree {
  return {
    node: (path) => pidNode(tasks, path) ?? static_.node(path),
    list: (dir) => (dir === "/proc" ? [...static_.list(dir), "self", ...tasks.pids().map(String)] : pidList(tasks, dir) ?? static_.list(dir)),
  };
}

function pidNode(tasks: TaskList, path: string): KernfsNode | null {
  const m = /^\/proc\/(self|\d+)((?:\/[^/]+)*)$/.exec(path);
  if (!m) return null;
  if (m[1] === "self") {
    const task = currentOrNull();
    return m[2] || !task ? null : { kind: "link", path, target: String(task.pid) };
  }
  const task = tasks.find(Number(m[1]));
  if (!task) return null;
  const rest = m[2]!.split("/").filter(Boolean);
  if (rest.length === 0) return { kind: "dir", path };
  if (rest[0] === "comm" && rest.length === 1) return { kind: "file", path, attr: commAttr(task) };
  if (rest[0] === "cwd" && rest.length === 1) return { kind: "link", path, target: dPath(task.fs.pwd) };
  if (rest[0] !== "fd") return null;
  if (rest.length === 1) return { kind: "dir", path };
  const file = rest.length === 2 ? task.files.entries().find(([fd]) => String(fd) === rest[1]) : undefined;
  return file ? { kind: "link", path, target: dPath(file[1].path) } : null;
}

function pidList(tasks: TaskList, dir: string): string[] | null {
  const m = /^\/proc\/(\d+)(\/fd)?$/.exec(dir);
  const task = m ? tasks.find(Number(m[1])) : undefined;
  if (!task) return null;
  return m![2] ? task.files.entries().map(([fd]) => String(fd)) : PID_ENTRIES;
}
