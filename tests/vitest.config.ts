import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../vitest.shared";

/** The shared config, plus the end-to-end scenarios of the local cloud (tests/local-cloud/) and of the ops tools (tests/ops/). */
export default mergeConfig(
  shared,
  defineConfig({
    test: { include: [...(shared.test?.include ?? []), "local-cloud/**/*.test.ts", "ops/**/*.test.ts"] },
  }),
);
