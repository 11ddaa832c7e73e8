// modpost's refusal of a module: its message is the lines to print, one error each, with no stack to show.

export class ModpostError extends Error {}
