import { defineConfig } from "vitest/config";

/**
 * The one vitest config of the workspace (each package's vitest.config.ts re-exports it).
 *
 * Timeouts here are hang protection, not speed targets (those live in bench/): synthesizing a component
 * bundles its handlers with esbuild, which on a loaded 2-core CI machine can take several seconds.
 */
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
