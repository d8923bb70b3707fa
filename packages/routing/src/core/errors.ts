/** Base class of every error this package throws (a rule it cannot interpret, a route it cannot resolve). */
export class RoutingError extends Error {
  override name = "RoutingError";
}
