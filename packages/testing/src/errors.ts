/** Base class of every error this package throws: an unmocked call, an ambiguous lookup, mocks that never settle. */
export class TestingError extends Error {
  override name = "TestingError";
}
