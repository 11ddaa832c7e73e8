// The symbols notes exports, as a module using them imports them (what notes.h would be in C).

// @ts-ignore: decorator
@external("kernel", "notes_used")
export declare function notes_used(): i32;

// @ts-ignore: decorator
@external("kernel", "notes_seek")
export declare function notes_seek(pos: i32, size: i32, offset: i32, whence: i32): i32;
