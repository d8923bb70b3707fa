import { defineConfig } from "vitest/config";

// Synthesizing a whole stack bundles every Lambda handler with esbuild the first time: allow for it.
// (Speed targets live in bench/, not here.)
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 120_000 },
});
