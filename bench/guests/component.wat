;; The core module of the jco component: loops of calls to the world's imports (see component.wit).
;; A component's core module takes world-level imports from "$root" and exports memory and cabi_realloc.
(module
  (import "$root" "add-one" (func $add-one (param i32) (result i32)))
  (import "$root" "str-len" (func $str-len (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "bench")
  (global $heap (mut i32) (i32.const 1024))

  ;; A bump allocator: nothing the bench passes into the component is ever freed.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 3)))
    (local.get $p))

  (func $loop-u32 (export "loop-u32") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $add-one (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; Passes the 5-byte string "bench" at address 16 each time.
  (func $loop-string (export "loop-string") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $str-len (i32.const 16) (i32.const 5))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
