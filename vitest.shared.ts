import { defineConfig } from "vitest/config";

/**
 * The one vitest config of the workspace (each package's vitest.config.ts re-exports it).
 *
 * Timeouts here are hang protection, not speed targets (those live in bench/): synthesizing a component
 * bundles its handlers with esbuild, which on a loaded 2-core CI machine can take several seconds, and a
 * suite that brings the local cloud up (bundling, the program, provisioning) can take minutes when the two cores
 * are shared with another suite doing the same.
 */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
