// Linux errno numbers and their strerror() texts (asm-generic/errno-base.h, errno.h, glibc wording).

/** name → [number, strerror text]; numbers are Linux's, so a module's `-ENOENT` means what it means in C. */
export const ERRNO = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  ESRCH: [3, "No such process"],
  EINTR: [4, "Interrupted system call"],
  EIO: [5, "Input/output error"],
  ENXIO: [6, "No such device or address"],
  E2BIG: [7, "Argument list too long"],
  ENOEXEC: [8, "Exec format error"],
  EBADF: [9, "Bad file descriptor"],
  ECHILD: [10, "No child processes"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  ENOMEM: [12, "Cannot allocate memory"],
  EACCES: [13, "Permission denied"],
  EFAULT: [14, "Bad address"],
  ENOTBLK: [15, "Block device required"],
  EBUSY: [16, "Device or resource busy"],
  EEXIST: [17, "File exists"],
  EXDEV: [18, "Invalid cross-device link"],
  ENODEV: [19, "No such device"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  ENFILE: [23, "Too many open files in system"],
  EMFILE: [24, "Too many open files"],
  ENOTTY: [25, "Inappropriate ioctl for device"],
  ETXTBSY: [26, "Text file busy"],
  EFBIG: [27, "File too large"],
  ENOSPC: [28, "No space left on device"],
  ESPIPE: [29, "Illegal seek"],
  EROFS: [30, "Read-only file system"],
  EMLINK: [31, "Too many links"],
  EPIPE: [32, "Broken pipe"],
  EDOM: [33, "Numerical argument out of domain"],
  ERANGE: [34, "Numerical result out of range"],
  EDEADLK: [35, "Resource deadlock avoided"],
  ENAMETOOLONG: [36, "File name too long"],
  ENOLCK: [37, "No locks available"],
  ENOSYS: [38, "Function not implemented"],
  ENOTEMPTY: [39, "Directory not empty"],
  ELOOP: [40, "Too many levels of symbolic links"],
  ENOMSG: [42, "No message of desired type"],
  EIDRM: [43, "Identifier removed"],
  ENOSTR: [60, "Device not a stream"],
  ENODATA: [61, "No data available"],
  ETIME: [62, "Timer expired"],
  ENONET: [64, "Machine is not on the network"],
  ENOLINK: [67, "Link has been severed"],
  EPROTO: [71, "Protocol error"],
  EBADMSG: [74, "Bad message"],
  EOVERFLOW: [75, "Value too large for defined data type"],
  EBADFD: [77, "File descriptor in bad state"],
  EILSEQ: [84, "Invalid or incomplete multibyte or wide character"],
  ENOTSOCK: [88, "Socket operation on non-socket"],
  EDESTADDRREQ: [89, "Destination address required"],
  EMSGSIZE: [90, "Message too long"],
  EPROTOTYPE: [91, "Protocol wrong type for socket"],
  ENOPROTOOPT: [92, "Protocol not available"],
  EPROTONOSUPPORT: [93, "Protocol not supported"],
  ESOCKTNOSUPPORT: [94, "Socket type not supported"],
  EOPNOTSUPP: [95, "Operation not supported"],
  EAFNOSUPPORT: [97, "Address family not supported by protocol"],
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  ENETDOWN: [100, "Network is down"],
  ENETUNREACH: [101, "Network is unreachable"],
  ENOBUFS: [105, "No buffer space available"],
  EISCONN: [106, "Transport endpoint is already connected"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTDOWN: [112, "Host is down"],
  EHOSTUNREACH: [113, "No route to host"],
  EALREADY: [114, "Operation already in progress"],
  EINPROGRESS: [115, "Operation now in progress"],
  ESTALE: [116, "Stale file handle"],
  EREMOTEIO: [121, "Remote I/O error"],
  EDQUOT: [122, "Disk quota exceeded"],
  ECANCELED: [125, "Operation canceled"],
  ENOKEY: [126, "Required key not available"],
  EKEYEXPIRED: [127, "Key has expired"],
  EKEYREVOKED: [128, "Key has been revoked"],
  EKEYREJECTED: [129, "Key was rejected by service"],
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** Linux aliases: the same number under a second name. */
export const EWOULDBLOCK = ERRNO.EAGAIN[0];
export const EDEADLOCK = ERRNO.EDEADLK[0];
export const ENOTSUP = ERRNO.EOPNOTSUPP[0];

/** The errno number for a name: `errno("ENOENT")` is 2. */
export function errno(name: ErrnoName): number {
  return ERRNO[name][0];
}

const byNumber = new Map<number, { name: ErrnoName; text: string }>(
  (Object.keys(ERRNO) as ErrnoName[]).map((name) => [ERRNO[name][0], { name, text: ERRNO[name][1] }]),
);

/** glibc's strerror(): the text for an errno, or "Unknown error N". */
export function strerror(n: number): string {
  return byNumber.get(Math.abs(n))?.text ?? `Unknown error ${Math.abs(n)}`;
}

/** The symbolic name for an errno ("ENOENT"), or undefined when Linux has none here. */
export function errnoName(n: number): ErrnoName | undefined {
  return byNumber.get(Math.abs(n))?.name;
}

/** Kernel-internal: "restart this system call" (include/linux/errno.h); it never reaches a task. */
export const ERESTARTSYS = 512;
