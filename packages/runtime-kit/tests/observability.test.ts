import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createObservability, DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from "../src/index";

afterEach(() => {
  vi.restoreAllMocks();
});

const captureStdout = () => {
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
};

describe("createObservability", () => {
  it.each([
    {
      case: "explicit options",
      options: { serviceName: "orders", namespace: "Shop", env: {} },
      service: "orders",
      namespace: "Shop",
    },
    {
      case: "the Powertools environment variables",
      options: { env: { POWERTOOLS_SERVICE_NAME: "billing", POWERTOOLS_METRICS_NAMESPACE: "Money" } },
      service: "billing",
      namespace: "Money",
    },
    {
      case: "nothing (kit defaults)",
      options: { env: { POWERTOOLS_SERVICE_NAME: "" } },
      service: DEFAULT_SERVICE_NAME,
      namespace: DEFAULT_METRICS_NAMESPACE,
    },
  ])("takes service name and namespace from $case", ({ options, service, namespace }) => {
    // Act
    const observability = createObservability(options);
    observability.metrics.addMetric("Probe", MetricUnit.Count, 1);
    const emf = observability.metrics.serializeMetrics();

    // Assess
    expect(observability.serviceName).toBe(service);
    expect(observability.namespace).toBe(namespace);
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe(namespace);
    expect(emf.service).toBe(service);
    expect(observability.tracer.isTracingEnabled()).toBe(false);
  });

  it("creates one Tracer per service in a container (traced() clients use the handler's)", () => {
    const orders = createObservability({ serviceName: "orders", env: {} }).tracer;
    expect(createObservability({ serviceName: "orders", env: {} }).tracer).toBe(orders);
    expect(createObservability({ serviceName: "billing", env: {} }).tracer).not.toBe(orders);
  });

  it("returns a logger that masks PII in every line it writes", () => {
    // Prepare
    const lines = captureStdout();
    const { logger } = createObservability({ serviceName: "orders", env: {}, piiKeys: ["iban"] });

    // Act
    logger.info("sending", {
      to: { phoneNumber: "+4915112345678", email: "jane.doe@example.com" },
      authorization: "Bearer abc",
      iban: "DE89370400440532013000",
      orderId: "o-1",
    });

    // Assess
    const line = JSON.parse(lines.join(""));
    expect(line).toMatchObject({
      service: "orders",
      message: "sending",
      to: { phoneNumber: "+49*******5678", email: "j*******@example.com" },
      authorization: "****",
      iban: "****",
      orderId: "o-1",
    });
    expect(lines.join("")).not.toContain("15112345678");
  });
});
