// poll(2) (fs/select.c): ask each file what is ready; if nothing is and there is time left, sleep on
// every queue the files named (and a timer for the timeout) and look again when woken.

import { ERESTARTSYS } from "../../abi/errno.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { HZ, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../abi/poll.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import type { Clock } from "../kernel/time/timer.js";
import { WaitQueue, type PollTable } from "../kernel/wait.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";

/** What a file without a poll operation reports: always ready (DEFAULT_POLLMASK). */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/** sizeof(struct pollfd): int fd, short events, short revents. */
const POLLFD = 8;
/** RLIMIT_NOFILE: more descriptors than that is EINVAL. */
const MAX_NFDS = 1024;

/** One pass over the descriptors: the number ready; revents written back. */
function doPoll(task: Task, fds: Uint8Array, pt: PollTable): number {
  const view = new DataView(fds.buffer, fds.byteOffset, fds.byteLength);
  let ready = 0;
  for (let at = 0; at < fds.length; at += POLLFD) {
    const fd = view.getInt32(at, true);
    const events = view.getUint16(at + 4, true);
    let revents = 0;
    if (fd >= 0) {
      let file;
      try {
        file = task.files.get(fd);
      } catch {
        file = null;
      }
      const mask = file ? (file.fop.poll ? file.fop.poll(file, pt) : DEFAULT_POLLMASK) : POLLNVAL;
      revents = mask & (events | POLLERR | POLLHUP | POLLNVAL);
    }
    view.setUint16(at + 6, revents, true);
    if (revents) ready++;
  }
  return ready;
}

/** poll(2): timeout in milliseconds, negative for none. */
export function sys_poll(clock: Clock, task: Task, ufds: number, nfds: number, timeoutMs: number): number {
  if (nfds > MAX_NFDS) throw new KernelError("EINVAL", "poll: Invalid argument");
  const fds = copyFromUser(task.mm, ufds, nfds * POLLFD);
  const queues: WaitQueue[] = [];
  const ready = doPoll(task, fds, { wait: (wq) => queues.push(wq) });
  copyToUser(task.mm, ufds, fds);
  const deadline = pollDeadline(clock, task, timeoutMs);
  if (ready > 0 || timeoutMs === 0 || (deadline !== null && clock.nowNs >= deadline)) {
    task.restart = null;
    return ready;
  }
  for (const wq of queues) wq.add(task);
  if (deadline !== null) sleepUntil(clock, task, deadline);
  return -ERESTARTSYS;
}

/** The deadline survives the restarts of one call (restart_block), so a woken poll does not wait afresh. */
function pollDeadline(clock: Clock, task: Task, timeoutMs: number): number | null {
  if (timeoutMs < 0) return null;
  if (task.restart?.nr !== SYSCALLS.poll) task.restart = { nr: SYSCALLS.poll, deadline: clock.nowNs + timeoutMs * 1e6 };
  return task.restart.deadline;
}

/** A one-shot timer that wakes the task at the deadline (rounded up to a jiffy, as schedule_timeout does). */
function sleepUntil(clock: Clock, task: Task, deadline: number): void {
  const wq = new WaitQueue();
  wq.add(task);
  const jiffies = Math.max(1, Math.ceil((deadline - clock.nowNs) / (1e9 / HZ)));
  clock.once(null, (clock.jiffies + jiffies) >>> 0, () => wq.wakeUp());
}

