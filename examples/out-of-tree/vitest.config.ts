// The project's own vitest settings: inside a wasm-lkm checkout, vitest would otherwise take the checkout's.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
  },
});
