import { defineConfig } from "vitest/config";

// Image processing with sharp and whole-component synthesis take a few seconds on a 2-core machine.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
