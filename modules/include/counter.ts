// The symbols the counter module exports, as its users import them (what counter.h would be in C).

// @ts-ignore: decorator
@external("kernel", "counter_add")
export declare function counter_add(n: i32): i32;

// @ts-ignore: decorator
@external("kernel", "counter_get")
export declare function counter_get(): i32;

// @ts-ignore: decorator
@external("kernel", "counter_reset")
export declare function counter_reset(): void;
