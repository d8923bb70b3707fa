import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository this package lives in (holds Pulumi.yaml). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** Where a running local cloud writes what scripts need: `.switchyard/local/outputs.json`. */
export function localStateDir(root: string = REPO_ROOT): string {
  return join(root, ".switchyard", "local");
}
