export {
  findProjectRoot,
  listStacks,
  loadStackConfig,
  type StackConfig,
  StackConfigError,
  secretPlaceholder,
} from "./load-stack-config";
export {
  buildFlowGraph,
  type EdgeStyle,
  escapeMermaid,
  type FlowEdge,
  type FlowGraph,
  type FlowGroup,
  type FlowNode,
  type NodeKind,
  renderArchitectureMarkdown,
  renderMermaid,
  writeArchitectureDoc,
} from "./mermaid";
export { summarizePattern } from "./patterns";
export {
  DEFAULT_PROGRAM_PATH,
  loadProgram,
  type Program,
  ProgramLoadError,
  resolveOutputValue,
  SECRET_OUTPUT,
  type SynthesizeOptions,
  type SynthResult,
  synthesize,
  UNKNOWN_OUTPUT,
} from "./synthesize";
export {
  countByType,
  isProvider,
  renderCounts,
  renderOutputs,
  renderSynthText,
  renderTree,
  type SynthJson,
  type TreeEntry,
  toSynthJson,
  treeEntries,
} from "./tree";
