import * as pulumi from "@pulumi/pulumi";
import {
  IngressApi,
  type IngressAuth,
  type IngressRoute,
  renamedFrom,
  type WatchingDashboard,
} from "@switchyard/infra-kit";
import { NotificationsApi } from "@switchyard/notifications";
import { ORDERS_INGRESS_AUTHORIZER_ENTRY, OrdersFanOut, ordersIngressRoute } from "@switchyard/orders";
import { S3EventPipeline } from "@switchyard/s3-pipeline";
import { SMS_INGRESS_AUTHORIZER_ENTRY, SmsThrottle, smsIngressRoute } from "@switchyard/sms-throttle";
import {
  ConfigError,
  type INGRESS_SERVICES,
  ingressConfig,
  type StackConfig,
  type StackSecrets,
  serviceConfigs,
} from "./config";
import type { Platform } from "./platform";

/** Stack output saying customer notifications of orders are off, and why. */
export const CUSTOMER_NOTIFICATIONS_OFF =
  "off: the notifications service is not in switchyard:services, so orders sends no customer notifications";

/**
 * Composes the services that are on (`switchyard:services`) on the platform and returns the stack outputs each
 * contributes. The one link between services is the notifications bus: orders' customer notifications and
 * s3-pipeline's "renditions ready" notifications need it (config refuses the s3 callback URL without it; orders
 * leaves its customer-notifications subscriber out and says so in `ordersCustomerNotifications`).
 */
export function createServices(platform: Platform, secrets: StackSecrets): Record<string, unknown> {
  const { config } = platform;
  const on = serviceConfigs(config);
  const outputs: Record<string, unknown> = {};
  let notificationBus: { name: pulumi.Output<string>; arn: pulumi.Output<string> } | undefined;
  let notifications: NotificationsApi | undefined;
  /** Who may put events on the notifications bus (its policy admits only them): the stack's publishers' roles, plus `extraPublishers`. */
  const publishers: pulumi.Input<string>[] = [];

  if (on.notifications) {
    const auth = on.notifications.auth;
    notifications = new NotificationsApi("notifications", {
      ...platform.args,
      stageName: config.environment,
      ...(platform.apiGatewayAccount ? { accountLogging: platform.apiGatewayAccount } : {}),
      auth:
        auth.mode === "hs256"
          ? {
              ...auth,
              secret: secrets.notificationsJwtSecret as NonNullable<StackSecrets["notificationsJwtSecret"]>,
            }
          : auth,
      throttling: on.notifications.throttling,
      connectionTtlSeconds: on.notifications.connectionTtlSeconds,
      inboxRetentionDays: on.notifications.inboxRetentionDays,
      ...(on.notifications.domain ? { domain: on.notifications.domain } : {}),
    });
    publishers.push(...on.notifications.extraPublishers);
    // The notification bus is the one link between services: publishers get events:PutEvents on it only.
    notificationBus = { name: notifications.busName, arn: notifications.busArn };
    Object.assign(outputs, {
      notificationsWebSocketUrl: notifications.webSocketUrl,
      notificationsBusName: notifications.busName,
      notificationsBusArn: notifications.busArn,
      notificationsDashboardName: notifications.dashboard.dashboardName,
    });
  }

  if (on.orders) {
    if (!notificationBus) pulumi.log.info(`orders: customer notifications are ${CUSTOMER_NOTIFICATIONS_OFF}`);
    const orders = new OrdersFanOut("orders", {
      ...platform.args,
      ...(notificationBus ? { notificationBus } : {}),
      // The ops topic is always under a customer-managed key: the alert function needs GenerateDataKey on it.
      alarmTopicKmsKeyArn: platform.alarmTopicKeyArn,
      archiveRetentionDays: on.orders.archiveRetentionDays,
      highValueThreshold: on.orders.highValueThreshold,
    });
    const customerNotifications = orders.functions["customer-notifications"];
    if (customerNotifications) publishers.push(customerNotifications.role.arn);
    const ingress = createIngress(platform, secrets, "orders", orders, orders.dashboard, {
      route: ordersIngressRoute({
        topicArn: orders.outputs.ordersTopicArn,
        kmsKeyArn: platform.args.kmsKeyArn,
      }),
      authorizerEntry: ORDERS_INGRESS_AUTHORIZER_ENTRY,
    });
    if (ingress) outputs.ordersIngressUrl = ingress.url;
    Object.assign(outputs, orders.outputs, {
      ordersCustomerNotifications: notificationBus ? "on" : CUSTOMER_NOTIFICATIONS_OFF,
      ordersDashboardName: orders.dashboard.dashboardName,
    });
  }

  // Each service has one name: its package, its config key, its type module and its instance. Instances named
  // otherwise before (sms, media) carry aliases, so a stack deployed then updates in place.
  const keepPhysicalNames = config.keepPreRenamePhysicalNames;
  const smsThrottleConfig = on["sms-throttle"];
  if (smsThrottleConfig) {
    const smsThrottle = new SmsThrottle(
      "sms-throttle",
      { ...platform.args, config: smsThrottleConfig },
      renamedFrom("sms-throttle", { from: "sms", type: SmsThrottle.previousType, keepPhysicalNames }),
    );
    const ingress = createIngress(
      platform,
      secrets,
      "sms-throttle",
      smsThrottle,
      smsThrottle.dashboardContent,
      {
        route: smsIngressRoute({
          topicArn: smsThrottle.topicArn,
          kmsKeyArn: platform.args.kmsKeyArn,
          maxParts: smsThrottleConfig.maxPartsPerMessage,
        }),
        authorizerEntry: SMS_INGRESS_AUTHORIZER_ENTRY,
      },
    );
    if (ingress) outputs.smsThrottleIngressUrl = ingress.url;
    Object.assign(outputs, {
      smsTopicArn: smsThrottle.topicArn,
      smsThrottleDashboardName: smsThrottle.dashboard.dashboardName,
      smsThrottleLanes: smsThrottle.derivations,
    });
  }

  const s3PipelineConfig = on["s3-pipeline"];
  if (s3PipelineConfig) {
    const s3Pipeline = new S3EventPipeline(
      "s3-pipeline",
      {
        ...platform.args,
        versioning: config.environment === "prod",
        ...(notificationBus ? { notificationBus } : {}),
        ...s3PipelineConfig,
      },
      renamedFrom("s3-pipeline", { from: "media", type: S3EventPipeline.previousType, keepPhysicalNames }),
    );
    if (notificationBus) publishers.push(s3Pipeline.functions.renditions.role.arn);
    Object.assign(outputs, {
      uploadsBucketName: s3Pipeline.uploadsBucketName,
      renditionsBucketName: s3Pipeline.renditionsBucketName,
      s3PipelineDashboardName: s3Pipeline.dashboard.dashboardName,
    });
  }

  // Only the stack's own publishers and the configured extra ones may put events on the notifications bus.
  if (notifications && publishers.length > 0) notifications.allowPublishers(publishers);
  return outputs;
}

/**
 * A service's ingress API (`switchyard:ingress.<service>`), or undefined when it is off: a child of the service's
 * component (it is part of the service: `pnpm dev --service <other>` leaves it out). Tokens are verified like the
 * notifications `$connect` tokens: the stack's one issuer (`switchyard:notifications.auth`).
 */
function createIngress(
  platform: Platform,
  secrets: StackSecrets,
  service: (typeof INGRESS_SERVICES)[number],
  parent: pulumi.ComponentResource,
  dashboard: WatchingDashboard,
  parts: { route: IngressRoute; authorizerEntry: string },
): IngressApi | undefined {
  const { config } = platform;
  const settings = ingressConfig(config, service);
  if (!settings) return undefined;
  const ingress = new IngressApi(
    `${service}-ingress`,
    {
      ...platform.args,
      stageName: config.environment,
      serviceName: service,
      ...(platform.apiGatewayAccount ? { accountLogging: platform.apiGatewayAccount } : {}),
      auth: ingressAuth(config, secrets),
      authorizerEntry: parts.authorizerEntry,
      routes: [parts.route],
      ...(settings.throttling ? { throttling: settings.throttling } : {}),
      ...(settings.perClient ? { perClient: settings.perClient } : {}),
    },
    { parent },
  );
  // The ingress is part of its service: its functions, table and API go on the service's dashboard.
  dashboard.watch({
    functions: Object.values(ingress.functions),
    tables: [ingress.table],
    apis: [{ apiId: ingress.api.id, stage: ingress.stage.name, protocol: "HTTP" }],
  });
  return ingress;
}

function ingressAuth(config: StackConfig, secrets: StackSecrets): IngressAuth {
  const auth = config.notifications?.auth;
  // Config validation refuses an ingress without notifications.auth; this is the type's guard.
  if (!auth)
    throw new ConfigError(
      "Missing stack config switchyard:notifications.auth: the ingress verifies its tokens",
    );
  return auth.mode === "hs256"
    ? {
        ...auth,
        secret: secrets.notificationsJwtSecret as NonNullable<StackSecrets["notificationsJwtSecret"]>,
      }
    : auth;
}
