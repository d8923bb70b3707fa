export { TestingError } from "./errors";
export * from "./events";
export * from "./lambda";
export type { MockedState, OutputContext } from "./outputs";
export { MOCK_ACCOUNT_ID, MOCK_REGION, mockOutputs, physicalName, stableId } from "./outputs";
export type { CallMock, PulumiMocks, PulumiMocksOptions, RecordedResource } from "./pulumi";
export { outputValue, parseJsonInput, setupPulumiMocks } from "./pulumi";
