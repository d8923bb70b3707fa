import { ApiGatewayManagementApiClient } from "@aws-sdk/client-apigatewaymanagementapi";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SEND_USER_NOTIFICATION, userNotificationSchema } from "@switchyard/contracts";
import { PermanentError, parseEventBridgeBody, sqsConsumer, traced } from "@switchyard/runtime-kit";
import { createConnectionPoster } from "../adapters/connections";
import { createStore } from "../adapters/store";
import { sendNotification } from "../domain/send";
import { FUNCTION_ENV } from "../env";

const { env, logger, handler: consume } = sqsConsumer(FUNCTION_ENV.sender, traced(new SQSClient({})));
const store = createStore(DynamoDBDocumentClient.from(traced(new DynamoDBClient({}))), env.TABLE_NAME);
const post = createConnectionPoster(
  traced(new ApiGatewayManagementApiClient({ endpoint: env.CONNECTIONS_ENDPOINT })),
);
const ports = {
  connectionsOf: store.connectionsOf,
  deleteConnection: store.deleteConnection,
  putInboxItem: store.putInboxItem,
  markDelivered: store.markDelivered,
  unreadCount: store.unreadCount,
  post,
};

/**
 * Consumes `Send User Notification` events (EventBridge -> SQS). An invalid detail, or an event of another
 * detail-type (the send rule routes only this one, so it was sent to the queue some other way), is dead-lettered
 * at once with its reason; a throttle or 5xx on any connection fails only that record, so SQS retries it.
 */
export const handler = consume(async (record) => {
  const notification = parseEventBridgeBody(record, userNotificationSchema);
  if (notification.detailType !== SEND_USER_NOTIFICATION) {
    throw new PermanentError(
      `event of detail-type ${JSON.stringify(notification.detailType.slice(0, 128))}; this queue takes ${JSON.stringify(SEND_USER_NOTIFICATION)} only`,
    );
  }
  const report = await sendNotification(
    ports,
    { id: notification.id, time: notification.time, detail: notification.detail },
    { inboxRetentionDays: env.INBOX_RETENTION_DAYS, concurrency: env.POST_CONCURRENCY },
  );
  logger.debug("notification delivered", { messageId: record.messageId, ...report });
});
