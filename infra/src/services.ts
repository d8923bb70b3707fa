import { NotificationsApi } from "@switchyard/notifications";
import { OrdersFanOut } from "@switchyard/orders";
import { S3EventPipeline } from "@switchyard/s3-pipeline";
import { SmsThrottle } from "@switchyard/sms-throttle";
import type { StackSecrets } from "./config";
import type { Platform } from "./platform";

/** The plain values every service component takes from the platform. */
function common(platform: Platform) {
  const { config } = platform;
  return {
    alarmTopicArn: platform.alarmTopic.arn,
    ...(platform.dataKeyArn ? { kmsKeyArn: platform.dataKeyArn } : {}),
    logRetentionDays: config.logRetentionDays,
    memorySize: config.functions.memorySize,
    maxReceiveCount: config.queues.maxReceiveCount,
  };
}

/** Composes the services on the platform and returns the stack outputs each contributes. */
export function createServices(platform: Platform, secrets: StackSecrets): Record<string, unknown> {
  const { config } = platform;
  const auth = config.notifications.auth;

  const notifications = new NotificationsApi("notifications", {
    ...common(platform),
    stageName: config.environment,
    maximumConcurrency: config.functions.maximumConcurrency,
    deletionProtection: config.deletionProtection,
    pointInTimeRecovery: config.pointInTimeRecovery,
    auth:
      auth.mode === "hs256"
        ? {
            ...auth,
            secret: secrets.notificationsJwtSecret as NonNullable<StackSecrets["notificationsJwtSecret"]>,
          }
        : auth,
    throttling: config.notifications.throttling,
    connectionTtlSeconds: config.notifications.connectionTtlSeconds,
    inboxRetentionDays: config.notifications.inboxRetentionDays,
  });

  // The notification bus is the one link between services: publishers get events:PutEvents on it only.
  const notificationBus = { name: notifications.busName, arn: notifications.busArn };

  const orders = new OrdersFanOut("orders", {
    ...common(platform),
    maximumConcurrency: config.functions.maximumConcurrency,
    deletionProtection: config.deletionProtection,
    pointInTimeRecovery: config.pointInTimeRecovery,
    notificationBus,
    // The ops topic is always under a customer-managed key: the alert function needs GenerateDataKey on it.
    alarmTopicKmsKeyArn: platform.alarmTopicKeyArn,
    archiveRetentionDays: config.orders.archiveRetentionDays,
    highValueThreshold: config.orders.highValueThreshold,
  });

  const sms = new SmsThrottle("sms", { ...common(platform), config: config.sms });

  const uploads = new S3EventPipeline("media", {
    ...common(platform),
    ...(platform.dataKey ? { kmsKeyServices: platform.dataKey.services } : {}),
    maximumConcurrency: config.functions.maximumConcurrency,
    deletionProtection: config.deletionProtection,
    pointInTimeRecovery: config.pointInTimeRecovery,
    versioning: config.environment === "prod",
    notificationBus,
    ...config.s3,
  });

  // Only the stack's own publishers may put events on the notifications bus.
  notifications.allowPublishers(
    [orders.functions["customer-notifications"]?.role.arn, uploads.functions.renditions.role.arn].filter(
      (arn): arn is NonNullable<typeof arn> => arn !== undefined,
    ),
  );

  return {
    notificationsWebSocketUrl: notifications.webSocketUrl,
    notificationsBusName: notifications.busName,
    notificationsBusArn: notifications.busArn,
    ...orders.outputs,
    smsTopicArn: sms.topicArn,
    smsDashboardName: sms.dashboard.dashboardName,
    smsLanes: sms.derivations,
    uploadsBucketName: uploads.uploadsBucketName,
    renditionsBucketName: uploads.renditionsBucketName,
  };
}
