import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createSqs } from "../src/services/sqs";

// The engine's `httpHandler` hook (the ops console mounts itself there): it sees requests that are neither AWS
// calls nor `/_local` views, and can decline them.
let engine: Engine;
const seen: string[] = [];

beforeAll(async () => {
  engine = await Engine.listen({
    emulators: { sqs: createSqs },
    httpHandler: (req, res) => {
      seen.push(req.url ?? "");
      if (req.url !== "/hello") return false;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("hi");
      return true;
    },
  });
});

afterAll(async () => {
  await engine?.close();
});

describe("httpHandler", () => {
  it("answers unsigned requests it takes, and leaves the rest to the engine", async () => {
    const hello = await fetch(`${engine.endpoint}/hello`);
    expect(await hello.text()).toBe("hi");
    const other = await fetch(`${engine.endpoint}/other`);
    expect(other.status).toBe(400);
    expect(await other.text()).toContain("Unsigned request");
  });

  it("never sees AWS calls or /_local views", async () => {
    seen.length = 0;
    const sqs = new SQSClient({
      endpoint: engine.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    await sqs.send(new ListQueuesCommand({}));
    sqs.destroy();
    expect((await fetch(`${engine.endpoint}/_local/status`)).status).toBe(200);
    expect(seen).toEqual([]);
  });
});
