#!/usr/bin/env node
// The `switchyard` command: runs the TypeScript CLI through tsx (the workspace builds nothing ahead of time).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
