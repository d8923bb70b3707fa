export { AlarmTopic, type AlarmTopicArgs } from "./alarm-topic";
export {
  type BucketNotificationRule,
  BucketNotifications,
  type BucketNotificationsArgs,
  S3_EVENT_TYPES,
  type S3EventType,
} from "./bucket-notifications";
export { type Bundle, bundleHandler, type LambdaArchitecture, workspaceRoot } from "./bundle";
export { LAMBDA, LAMBDA_NODE_RUNTIME, LOG_RETENTION_DAYS, type LogRetentionDays, SQS } from "./constants";
export { EncryptionKey, type EncryptionKeyArgs } from "./encryption-key";
export { ComponentArgsError, LateBindingError } from "./errors";
export {
  type EventBusRef,
  EventRuleQueueTarget,
  type EventRuleQueueTargetArgs,
} from "./event-rule-queue-target";
export { NodeFunction, type NodeFunctionArgs } from "./node-function";
export {
  ACTIONS_WITHOUT_RESOURCES,
  type Grant,
  type PolicyStatement,
  type ServicePrincipal,
  type ServiceSource,
} from "./policy";
export { QueueConsumer, type QueueConsumerArgs, VISIBILITY_TIMEOUT_FACTOR } from "./queue-consumer";
export { ReliableQueue, type ReliableQueueArgs } from "./reliable-queue";
export { AWS_MANAGED_SNS_KEY, Topic, type TopicArgs } from "./topic";
export {
  type FilterPolicyScope,
  TopicQueueSubscription,
  type TopicQueueSubscriptionArgs,
  type TopicRef,
} from "./topic-queue-subscription";
export type { Transform } from "./transform";
export { ArgChecker, brief } from "./validate";
