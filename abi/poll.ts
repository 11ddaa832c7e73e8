// poll(2) events (include/uapi/asm-generic/poll.h) and the timer rate (asm/param.h).

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;

/** CONFIG_HZ, as Debian builds x86_64 kernels: jiffies a second. */
export const HZ = 250;
