import { describe, expect, it } from "vitest";
import { localOutputs } from "../src/run";
import { localHttpApiPath, matchRoute } from "../src/services/apigateway/http";
import { renderSummary } from "../src/summary";

const routes = [
  { routeKey: "POST /sms", authorizationType: "CUSTOM" },
  { routeKey: "POST /orders/events", authorizationType: "CUSTOM" },
  { routeKey: "GET /items/{id}", authorizationType: "NONE" },
  { routeKey: "ANY /files/{path+}", authorizationType: "NONE" },
];

describe("HTTP API route matching", () => {
  it("matches METHOD /path exactly, then path parameters and greedy ones", () => {
    expect(matchRoute(routes, "POST", "/orders/events")?.route.routeKey).toBe("POST /orders/events");
    expect(matchRoute(routes, "GET", "/items/42")).toEqual({
      route: routes[2],
      pathParameters: { id: "42" },
    });
    expect(matchRoute(routes, "PUT", "/files/a/b.txt")).toEqual({
      route: routes[3],
      pathParameters: { path: "a/b.txt" },
    });
  });

  it("matches nothing for another method or a longer path, unless there is a $default route", () => {
    expect(matchRoute(routes, "GET", "/sms")).toBeUndefined();
    expect(matchRoute(routes, "POST", "/sms/extra")).toBeUndefined();
    const fallback = { routeKey: "$default", authorizationType: "NONE" };
    expect(matchRoute([...routes, fallback], "GET", "/sms")?.route).toBe(fallback);
  });
});

describe("local outputs of an HTTP API", () => {
  it("point the API endpoint and the stage's invoke URL at /http/<apiId>/<stage> on the engine", () => {
    const outputs = localOutputs("http://127.0.0.1:4566", "123456789012");
    const api = outputs(
      { type: "aws:apigatewayv2/api:Api", name: "ing-api", inputs: { protocolType: "HTTP" } } as never,
      { id: "abc123", state: { apiEndpoint: "https://abc123.execute-api.us-east-1.amazonaws.com" } },
    );
    expect(api.state.apiEndpoint).toBe("http://127.0.0.1:4566/http/abc123");
    const stage = outputs(
      { type: "aws:apigatewayv2/stage:Stage", name: "ing-stage", inputs: { apiId: "abc123" } } as never,
      { id: "dev", state: { name: "dev" } },
    );
    expect(stage.state.invokeUrl).toBe(`http://127.0.0.1:4566${localHttpApiPath("abc123", "dev")}`);
  });
});

describe("the pnpm dev summary", () => {
  it("prints each ingress URL with its routes and how to get a token", () => {
    const route = (apiId: string, routeKey: string) =>
      ({ type: "aws:apigatewayv2/route:Route", name: routeKey, inputs: { apiId, routeKey } }) as never;
    const text = renderSummary(
      {
        endpoint: "http://127.0.0.1:4566",
        stack: "dev",
        services: ["sms-throttle"],
        resources: [route("abc123", "POST /sms"), route("other9", "POST /orders/events")],
        outputs: { smsThrottleIngressUrl: "http://127.0.0.1:4566/http/abc123/dev" },
      },
      { seconds: 1 },
    );
    expect(text).toContain(
      "ingress    http://127.0.0.1:4566/http/abc123/dev   (smsThrottleIngressUrl: POST /sms with Authorization: Bearer <token>)",
    );
    expect(text).toContain("pnpm -s run token <clientId>");
  });
});
