import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as runs from "@switchyard/ops/local-runs";

/** The repository this package lives in (holds Pulumi.yaml). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The outputs files of runs (`@switchyard/ops/local-runs`, which `ops --local` reads too), rooted at this
 * repository unless told otherwise.
 */
export const { DEFAULT_PORT, isStale } = runs;
export const localStateDir = (root: string = REPO_ROOT): string => runs.localStateDir(root);
export const outputsFileFor = (port: number, root: string = REPO_ROOT): string =>
  runs.outputsFileFor(port, root);
export const outputsFiles = (root: string = REPO_ROOT) => runs.outputsFiles(root);
export const findOutputsFile = (root: string = REPO_ROOT, port?: number): string =>
  runs.findOutputsFile(root, port);
