export { endUserMessagingOutcome, endUserMessagingProvider } from "./adapters/end-user-messaging";
export { pinpointErrorOutcome, pinpointProvider, pinpointResultOutcome } from "./adapters/pinpoint";
export type { SmsProvider } from "./adapters/provider";
export {
  DEFAULT_CLASSES,
  type SmsThrottleConfig,
  type SmsThrottleConfigInput,
  smsThrottleConfigSchema,
} from "./config";
export { ATTRIBUTES, SMS_METRICS, USE_CASES, type UseCase } from "./constants";
export { type DerivationLimits, deriveLane, type LaneDerivation } from "./domain/budget";
export { type LanePlan, planLanes } from "./domain/lanes";
export { countParts, type PartCount, smsEncoding } from "./domain/parts";
export { SmsThrottleArgsError, SmsThrottleError } from "./errors";
export { SMS_INGRESS_AUTHORIZER_ENTRY, smsIngressRoute } from "./ingress";
export { type SmsLane, SmsThrottle, type SmsThrottleArgs } from "./sms-throttle";
