import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsoleHandler } from "../src/console/server";

// The console's handler on a plain server (no local cloud): pages, assets, and the API's guard. The API itself
// runs against the local cloud in tests/ops/.
let server: Server;
let base: string;

beforeAll(async () => {
  const handler = createConsoleHandler({ endpoint: "http://127.0.0.1:9", outputs: {} });
  server = createServer(async (req, res) => {
    if (!(await handler(req, res))) {
      res.writeHead(418);
      res.end("not the console's");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("console handler", () => {
  it("serves the console and the bell with a policy that keeps them on this machine", async () => {
    for (const path of ["/", "/bell"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await res.text()).toMatch(/<html lang="en">/);
    }
    const script = await fetch(`${base}/console/app.js`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("leaves everything else to the engine, including paths out of the assets folder", async () => {
    for (const path of [
      "/console/../package.json",
      "/console/%2e%2e/package.json",
      "/console/missing.js",
      "/queue",
    ]) {
      expect((await fetch(`${base}${path}`)).status).toBe(418);
    }
  });

  it("refuses changes without the console's header (another site's page cannot send it)", async () => {
    const res = await fetch(`${base}/_ops/api/purge`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ queue: "orders-inventory-dlq" }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "the console API takes requests from the console only (x-switchyard-console: 1)",
    });
  });

  it("answers unknown API routes with 404 and bad bodies with 400", async () => {
    expect((await fetch(`${base}/_ops/api/nope`)).status).toBe(404);
    const bad = await fetch(`${base}/_ops/api/trace`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-switchyard-console": "1" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^the request body is not a JSON object/);
  });
});
