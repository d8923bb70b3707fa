export type { Predicate } from "./core/cache";
export { RoutingError } from "./core/errors";
export type { JsonScalar } from "./core/json";
export { UninterpretableRuleError } from "./core/operators";
export { compileEventPattern, matchesEventPattern } from "./eventbridge/match";
export { EVENT_PATTERN_LIMITS, validateEventPattern } from "./eventbridge/validate";
export type { SnsMessageAttribute, SnsMessageAttributes } from "./sns/attributes";
export { compileFilterPolicy, type FilterPolicyScope, matchesFilterPolicy } from "./sns/match";
export { FILTER_POLICY_LIMITS, validateFilterPolicy } from "./sns/validate";
export {
  type PublishedMessage,
  type PutEventInput,
  RESOURCE_TYPES,
  type RouteResult,
  routeEvent,
  routeMessage,
  routeS3Event,
  type S3ObjectEvent,
  type StackResource,
} from "./stack";
