// The POSIX behaviour every filesystem owes its users, in the spirit of xfstests' generic tests: the toolkit's
// checks (testing/fs.ts), each in a fresh kernel, against each filesystem of the tree. A filesystem module
// joins with one line, as an out-of-tree one does: fsConformance({ type: "myfs", module: "path/to/myfs.wasm" }).

import { fsConformance } from "../../testing/index.js";
import { loadBytes } from "../helpers.js";

fsConformance({ type: "rootfs", mount: false });
fsConformance({ type: "devtmpfs" });
fsConformance({ type: "ramfs", module: loadBytes("ramfs") });
