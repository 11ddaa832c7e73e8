// Signal numbers (x86_64's asm/signal.h), their strsignal() texts, and the wait status that reports how a
// task ended (the exit_code a parent's wait4 reads; glibc's W* macros take it apart).

/** name → [number, strsignal text, as glibc and bash word it]. */
export const SIGNALS = {
  SIGHUP: [1, "Hangup"],
  SIGINT: [2, "Interrupt"],
  SIGQUIT: [3, "Quit"],
  SIGILL: [4, "Illegal instruction"],
  SIGFPE: [8, "Floating point exception"],
  SIGKILL: [9, "Killed"],
  SIGSEGV: [11, "Segmentation fault"],
  SIGPIPE: [13, "Broken pipe"],
  SIGTERM: [15, "Terminated"],
  SIGTSTP: [20, "Stopped"],
} as const;

export type SignalName = keyof typeof SIGNALS;

export const signo = (name: SignalName): number => SIGNALS[name][0];

/** strsignal(): the text for a signal number, "Unknown signal N" for one not listed. */
export function strsignal(sig: number): string {
  return Object.values(SIGNALS).find(([n]) => n === sig)?.[1] ?? `Unknown signal ${sig}`;
}

/** The wait status of a task that called exit(code): the low 8 bits of code, shifted up a byte. */
export const W_EXITCODE = (code: number): number => (code & 0xff) << 8;

export const WIFEXITED = (status: number): boolean => (status & 0x7f) === 0;
export const WEXITSTATUS = (status: number): number => (status >> 8) & 0xff;
export const WIFSIGNALED = (status: number): boolean => (status & 0x7f) !== 0 && (status & 0x7f) !== 0x7f;
export const WTERMSIG = (status: number): number => status & 0x7f;
