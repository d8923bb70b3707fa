import { fileURLToPath } from "node:url";
import type * as pulumi from "@pulumi/pulumi";
import { type IngressRoute, keyGrant } from "@switchyard/infra-kit";
import { INGRESS_ENV } from "./env";

const handler = (file: string): string => fileURLToPath(new URL(`./handlers/${file}.ts`, import.meta.url));

/** The authorizer of the sms-throttle ingress API (`IngressApi.authorizerEntry`). */
export const SMS_INGRESS_AUTHORIZER_ENTRY = handler("ingress-authorizer");

/**
 * The sms-throttle part of an `IngressApi`: `POST /sms`, whose function may `sns:Publish` on the SMS topic only (and
 * use its key through SNS when the topic is under a customer-managed key).
 */
export function smsIngressRoute(args: {
  /** The SMS topic (`SmsThrottle.topicArn`). */
  topicArn: pulumi.Input<string>;
  /** The topic's customer-managed key. @default undefined (`alias/aws/sns`: no key grant) */
  kmsKeyArn?: pulumi.Input<string>;
  /** Parts a message may take (`maxPartsPerMessage` of the service config). */
  maxParts: number;
}): IngressRoute {
  return {
    routeKey: "POST /sms",
    entry: handler("ingress"),
    environment: { [INGRESS_ENV.topicArn]: args.topicArn, [INGRESS_ENV.maxParts]: String(args.maxParts) },
    grants: [
      { actions: ["sns:Publish"], resources: [args.topicArn] },
      ...(args.kmsKeyArn ? [keyGrant(args.kmsKeyArn, ["kms:Decrypt", "kms:GenerateDataKey"], "sns")] : []),
    ],
    // An SMS request is small (1600 characters at most); anything near SNS's 256 KB is not one.
    maxBodyBytes: 16_384,
  };
}
