// The symbols rot13 exports, as a module using them imports them.

// @ts-ignore: decorator
@external("kernel", "rot13_byte")
export declare function rot13_byte(c: i32): i32;
