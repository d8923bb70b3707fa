export { MAX_ARCHIVE_RETENTION_DAYS, type OrdersConfig, ordersConfigSchema } from "./config";
export { ORDERS_EVENT_SOURCE } from "./constants";
export { OrdersArgsError, OrdersError } from "./errors";
export { ORDERS_INGRESS_AUTHORIZER_ENTRY, ordersIngressRoute } from "./ingress";
export { OrdersFanOut, type OrdersFanOutArgs } from "./orders-fan-out";
export {
  defaultOrderSubscribers,
  highValueFilter,
  type OrderSubscriber,
  type OrdersResource,
} from "./subscribers";
