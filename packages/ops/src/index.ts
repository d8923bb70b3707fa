export { createClients, destroyClients, type OpsClients } from "./clients";
export {
  classify,
  type DeadLetter,
  type Destination,
  describeDestination,
  snsLambdaEvent,
} from "./dead-letters";
export {
  type DlqInfo,
  type DlqKind,
  type DlqSource,
  deadLetterQueues,
  discover,
  logicalQueueName,
  type QueueInfo,
  type RuleInfo,
  resolveQueue,
  type SubscriptionInfo,
  sourcesOf,
  type TopicInfo,
  type Topology,
} from "./discover";
export { OpsError } from "./errors";
export { Ops } from "./ops";
export { OPS_SOURCE, publishNotification, publishOrder, publishSms, uploadFile } from "./publish";
export { type IngressPublisher, ingressPublishers } from "./publishers";
export {
  type MoveTaskResult,
  moveTask,
  peek,
  type RedriveOptions,
  type RedriveProgress,
  type RedriveResult,
  redrive,
} from "./redrive";
export {
  type CarrierMessage,
  type CarrierStats,
  type SmsChart,
  type SmsLaneSeries,
  type SmsLimitSeries,
  smsChart,
} from "./sms";
export { findProjectRoot, loadAwsStack, loadLocalStack, localStackFrom, type StackRef } from "./stack";
export { type TraceEntry, type TraceResult, trace, traceBus, traceTopic } from "./trace";
