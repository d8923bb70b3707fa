import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { type IngressRoute, keyGrant } from "@switchyard/infra-kit";
import type { LINK_ENV } from "./env";

const handler = (file: string): string => fileURLToPath(new URL(`./handlers/${file}.ts`, import.meta.url));

/** The authorizer of the orders ingress API (`IngressApi.authorizerEntry`). */
export const ORDERS_INGRESS_AUTHORIZER_ENTRY = handler("ingress-authorizer");

/**
 * The orders part of an `IngressApi`: `POST /orders/events` publishes to the `order-events` topic, where producers
 * publish today (`publishOrderEvents`), with `sns:Publish` on that topic only (and its key through SNS, if any).
 */
export function ordersIngressRoute(args: {
  /** The `order-events` topic (`OrdersFanOut.outputs.ordersTopicArn`). */
  topicArn: pulumi.Input<string>;
  /** The topic's customer-managed key. @default undefined (`alias/aws/sns`: no key grant) */
  kmsKeyArn?: pulumi.Input<string>;
}): IngressRoute {
  return {
    routeKey: "POST /orders/events",
    entry: handler("ingress"),
    // The name the handler parses (FUNCTION_ENV.ingress), checked by type.
    environment: { ORDER_EVENTS_TOPIC_ARN: args.topicArn } satisfies Record<
      keyof typeof LINK_ENV.orderEventsTopic,
      pulumi.Input<string>
    >,
    grants: [
      { actions: ["sns:Publish"], resources: [args.topicArn] },
      ...(args.kmsKeyArn ? [keyGrant(args.kmsKeyArn, ["kms:Decrypt", "kms:GenerateDataKey"], "sns")] : []),
    ],
  };
}
