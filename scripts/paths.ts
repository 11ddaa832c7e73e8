// Where the tree keeps its modules and their build output (the root is the kernel's, host/init/paths.ts).

import { join } from "node:path";
import { BUILD_DIR, ROOT } from "../host/init/paths.js";

export { BUILD_DIR, ROOT };
export const MODULES_DIR = join(ROOT, "modules");
