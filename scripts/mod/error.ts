// The build's errors, kept apart from the compiler so that a program can catch them without loading it.

/** modpost's refusal of a module: its message is the lines to print, one error each, with no stack to show. */
export class ModpostError extends Error {}

/** A build that failed; the message is what to print, a line per error, compiler diagnostics as asc gives them. */
export class BuildError extends Error {}
