export { type MetricAlarmArgs, metricAlarm } from "./alarm";
export { AlarmTopic, type AlarmTopicArgs } from "./alarm-topic";
export {
  API_GATEWAY_LOGGING_ACTIONS,
  ApiGatewayAccount,
  type ApiGatewayAccountArgs,
} from "./api-gateway-account";
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
export {
  BundleError,
  ComponentArgsError,
  componentArgsMessage,
  InfraKitError,
  LateBindingError,
} from "./errors";
export { EventBus, type EventBusArgs, grantPutEvents } from "./event-bus";
export {
  type EventBusRef,
  EventRuleQueueTarget,
  type EventRuleQueueTargetArgs,
} from "./event-rule-queue-target";
export {
  HTTP_API_MAX_PAYLOAD_BYTES,
  IngressApi,
  type IngressApiArgs,
  type IngressAuth,
  type IngressRoute,
} from "./ingress-api";
export { type EnvShape, type EnvValues, type Link, link, linkProblems } from "./link";
export { NodeFunction, type NodeFunctionArgs } from "./node-function";
export {
  functionDefaults,
  PLATFORM_DEFAULTS,
  type PlatformArgs,
  type PlatformSettings,
  platformSettings,
  queueDefaults,
  tableDefaults,
} from "./platform";
export {
  ACTIONS_WITHOUT_RESOURCES,
  type ConditionBlock,
  type Grant,
  type KeyUsingService,
  keyGrant,
  leadingKeys,
  leadingKeysNot,
  type PolicyStatement,
  renderPolicy,
  type ServicePrincipal,
  type ServiceSource,
  serviceStatement,
  tlsOnlyStatement,
  XRAY_ACTIONS,
} from "./policy";
export { PrivateBucket, type PrivateBucketArgs } from "./private-bucket";
export { QueueConsumer, type QueueConsumerArgs, VISIBILITY_TIMEOUT_FACTOR } from "./queue-consumer";
export { ReliableQueue, type ReliableQueueArgs } from "./reliable-queue";
export { type RenamedFromArgs, renamedFrom } from "./renamed";
export {
  type DashboardApi,
  DashboardContent,
  type DashboardMetric,
  type DashboardSources,
  type DashboardWidget,
  dashboardJson,
  ServiceDashboard,
  type ServiceDashboardArgs,
  type WatchingDashboard,
} from "./service-dashboard";
export { TABLE_KEY_ACTIONS, Table, type TableArgs, type TableGrantOptions, type TableIndex } from "./table";
export { AWS_MANAGED_SNS_KEY, Topic, type TopicArgs } from "./topic";
export {
  PREVIOUS_TOPIC_FUNCTION_SUBSCRIPTION_TYPE,
  TopicFunctionSubscription,
  type TopicFunctionSubscriptionArgs,
} from "./topic-function-subscription";
export {
  type FilterPolicyScope,
  TopicQueueSubscription,
  type TopicQueueSubscriptionArgs,
  type TopicRef,
} from "./topic-queue-subscription";
export type { Transform } from "./transform";
export { ArgChecker, brief, type ComponentArgsErrorClass } from "./validate";
