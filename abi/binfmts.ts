// Binary formats (include/uapi/linux/binfmts.h): the constants execve and a format's load_binary share.

/** The bytes of a file execve reads before asking the formats (bprm->buf); a shorter file is zero-padded. */
export const BINPRM_BUF_SIZE = 256;
/** The longest single argument or environment string, with its NUL (32 pages). */
export const MAX_ARG_STRLEN = 32 * 4096;
/** The most argument or environment strings (0x7FFFFFFF). */
export const MAX_ARG_STRINGS = 0x7fffffff;
