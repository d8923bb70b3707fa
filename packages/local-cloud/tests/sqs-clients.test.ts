import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine";
import { createSqs } from "../src/services/sqs";
import { aws, awsOk, boto3, requireClients } from "./clients";

/**
 * SQS through the clients that speak its query protocol (form-encoded `Action=`, XML answers): Debian's
 * AWS CLI 2.9 and boto3 1.26. The SDK v3 (JSON protocol) is covered in sqs.test.ts.
 */

const ACCOUNT = "123456789012";
const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

let engine: Engine;
let endpoint: string;

beforeAll(async () => {
  await requireClients();
  engine = await Engine.listen({
    emulators: { sqs: (ctx) => createSqs(ctx, { purgeCooldownSeconds: 0 }) },
  });
  await engine.provision([]);
  endpoint = engine.endpoint;
}, 60_000);

afterAll(async () => {
  await engine?.close();
});

describe("SQS with Debian's AWS CLI 2.9 (query protocol)", () => {
  it("creates, lists, configures, tags and removes queues", async () => {
    const dlq = await awsOk(endpoint, "sqs", "create-queue", "--queue-name", "cli-dlq");
    expect(dlq.QueueUrl).toBe(`${endpoint}/${ACCOUNT}/cli-dlq`);
    const redrive = JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-dlq`,
      maxReceiveCount: 2,
    });
    const work = await awsOk(
      endpoint,
      "sqs",
      "create-queue",
      "--queue-name",
      "cli-work",
      "--attributes",
      JSON.stringify({ VisibilityTimeout: "120", RedrivePolicy: redrive }),
      "--tags",
      "team=platform",
    );
    const url = work.QueueUrl as string;

    const listed = await awsOk(endpoint, "sqs", "list-queues", "--queue-name-prefix", "cli-");
    expect(listed.QueueUrls).toEqual([`${endpoint}/${ACCOUNT}/cli-dlq`, url]);
    expect((await awsOk(endpoint, "sqs", "get-queue-url", "--queue-name", "cli-work")).QueueUrl).toBe(url);

    await awsOk(
      endpoint,
      "sqs",
      "set-queue-attributes",
      "--queue-url",
      url,
      "--attributes",
      "DelaySeconds=2",
    );
    const attributes = (
      await awsOk(endpoint, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    ).Attributes;
    expect(attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-work`,
      VisibilityTimeout: "120",
      DelaySeconds: "2",
      ApproximateNumberOfMessages: "0",
      RedrivePolicy: redrive,
    });

    const sources = await awsOk(
      endpoint,
      "sqs",
      "list-dead-letter-source-queues",
      "--queue-url",
      dlq.QueueUrl,
    );
    expect(sources.queueUrls).toEqual([url]);

    await awsOk(endpoint, "sqs", "tag-queue", "--queue-url", url, "--tags", "env=local,owner=me");
    await awsOk(endpoint, "sqs", "untag-queue", "--queue-url", url, "--tag-keys", "owner");
    expect((await awsOk(endpoint, "sqs", "list-queue-tags", "--queue-url", url)).Tags).toEqual({
      team: "platform",
      env: "local",
    });

    await awsOk(endpoint, "sqs", "delete-queue", "--queue-url", url);
    const gone = await aws(endpoint, "sqs", "get-queue-url", "--queue-name", "cli-work");
    expect(gone.code).not.toBe(0);
    // The query protocol's code and wording, not the JSON protocol's.
    expect(gone.stderr).toContain("(AWS.SimpleQueueService.NonExistentQueue)");
    expect(gone.stderr).toContain("The specified queue does not exist for this wsdl version.");
  }, 180_000);

  it("sends, receives, changes visibility, deletes and purges messages byte for byte", async () => {
    const url = (await awsOk(endpoint, "sqs", "create-queue", "--queue-name", "cli-messages"))
      .QueueUrl as string;
    const body = 'line one\r\nline "two" <&> ünïcødé 🚀\ttab';
    const sent = await awsOk(
      endpoint,
      "sqs",
      "send-message",
      "--queue-url",
      url,
      "--message-body",
      body,
      "--message-attributes",
      JSON.stringify({
        reason: { DataType: "String", StringValue: "poison: bad total" },
        attempts: { DataType: "Number", StringValue: "3" },
        raw: { DataType: "Binary", BinaryValue: "AAEC/w==" },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const batch = await awsOk(
      endpoint,
      "sqs",
      "send-message-batch",
      "--queue-url",
      url,
      "--entries",
      JSON.stringify([
        { Id: "a", MessageBody: "batch a" },
        { Id: "b", MessageBody: "batch b", DelaySeconds: 0 },
        { Id: "bad", MessageBody: "too late", DelaySeconds: 901 },
      ]),
    );
    expect(batch.Successful.map((entry: { Id: string }) => entry.Id).sort()).toEqual(["a", "b"]);
    expect(batch.Failed).toEqual([
      expect.objectContaining({ Id: "bad", SenderFault: true, Code: "InvalidParameterValue" }),
    ]);

    const received = await awsOk(
      endpoint,
      "sqs",
      "receive-message",
      "--queue-url",
      url,
      "--attribute-names",
      "All",
      "--message-attribute-names",
      "All",
      "--max-number-of-messages",
      "10",
      "--wait-time-seconds",
      "1",
      "--visibility-timeout",
      "300",
    );
    expect(received.Messages).toHaveLength(3);
    const first = received.Messages.find((message: { Body: string }) => message.Body === body);
    expect(first).toBeDefined();
    expect(first.MD5OfBody).toBe(md5(body));
    expect(first.MessageAttributes).toEqual({
      reason: { DataType: "String", StringValue: "poison: bad total" },
      attempts: { DataType: "Number", StringValue: "3" },
      raw: { DataType: "Binary", BinaryValue: "AAEC/w==" },
    });
    expect(first.Attributes).toMatchObject({ ApproximateReceiveCount: "1", SenderId: ACCOUNT });
    expect(Number(first.Attributes.SentTimestamp)).toBeGreaterThan(0);

    const empty = await aws(
      endpoint,
      "sqs",
      "receive-message",
      "--queue-url",
      url,
      "--wait-time-seconds",
      "1",
    );
    expect(empty.code).toBe(0);
    expect(empty.json?.Messages).toBeUndefined();

    const others = received.Messages.filter((message: { Body: string }) => message.Body !== body);
    await awsOk(
      endpoint,
      "sqs",
      "change-message-visibility",
      "--queue-url",
      url,
      "--receipt-handle",
      first.ReceiptHandle,
      "--visibility-timeout",
      "0",
    );
    const changed = await awsOk(
      endpoint,
      "sqs",
      "change-message-visibility-batch",
      "--queue-url",
      url,
      "--entries",
      JSON.stringify([
        { Id: "x", ReceiptHandle: others[0].ReceiptHandle, VisibilityTimeout: 0 },
        { Id: "y", ReceiptHandle: "bm90LWEtaGFuZGxl", VisibilityTimeout: 0 },
      ]),
    );
    expect(changed.Successful).toEqual([{ Id: "x" }]);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: "y", Code: "ReceiptHandleIsInvalid" })]);

    const again = await awsOk(
      endpoint,
      "sqs",
      "receive-message",
      "--queue-url",
      url,
      "--max-number-of-messages",
      "10",
      "--attribute-names",
      "ApproximateReceiveCount",
    );
    expect(again.Messages).toHaveLength(2);
    expect(
      again.Messages.every(
        (message: { Attributes: Record<string, string> }) =>
          message.Attributes.ApproximateReceiveCount === "2",
      ),
    ).toBe(true);

    await awsOk(
      endpoint,
      "sqs",
      "delete-message",
      "--queue-url",
      url,
      "--receipt-handle",
      again.Messages[0].ReceiptHandle,
    );
    const deleted = await awsOk(
      endpoint,
      "sqs",
      "delete-message-batch",
      "--queue-url",
      url,
      "--entries",
      JSON.stringify([{ Id: "one", ReceiptHandle: again.Messages[1].ReceiptHandle }]),
    );
    expect(deleted.Successful).toEqual([{ Id: "one" }]);

    const depth = (
      await awsOk(
        endpoint,
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        url,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
      )
    ).Attributes;
    expect(depth).toEqual({ ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "1" });
    await awsOk(endpoint, "sqs", "purge-queue", "--queue-url", url);
    const purged = (
      await awsOk(endpoint, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    ).Attributes;
    expect(purged.ApproximateNumberOfMessagesNotVisible).toBe("0");
  }, 240_000);

  it("names the operation it does not serve", async () => {
    const url = (await awsOk(endpoint, "sqs", "create-queue", "--queue-name", "cli-perm")).QueueUrl as string;
    const result = await aws(
      endpoint,
      "sqs",
      "add-permission",
      "--queue-url",
      url,
      "--label",
      "l",
      "--aws-account-ids",
      "111122223333",
      "--actions",
      "SendMessage",
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("AddPermission");
    expect(result.stderr).toContain("(AWS.SimpleQueueService.UnsupportedOperation)");
  }, 60_000);
});

describe("SQS with boto3 1.26 (query protocol)", () => {
  it("speaks the query protocol, maps errors to the modelled exceptions, and serves FIFO and redrive", async () => {
    const out = await boto3(
      endpoint,
      `
sqs = client("sqs")
out["protocol"] = sqs.meta.service_model.protocol
try:
    sqs.get_queue_url(QueueName="missing")
except sqs.exceptions.QueueDoesNotExist as error:
    out["missing"] = {"code": error.response["Error"]["Code"], "status": error.response["ResponseMetadata"]["HTTPStatusCode"], "type": error.response["Error"]["Type"]}
dlq = sqs.create_queue(QueueName="py-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
url = sqs.create_queue(QueueName="py-work.fifo", Attributes={
    "FifoQueue": "true", "ContentBasedDeduplication": "true",
    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})["QueueUrl"]
first = sqs.send_message(QueueUrl=url, MessageBody="order-1", MessageGroupId="g1")
dup = sqs.send_message(QueueUrl=url, MessageBody="order-1", MessageGroupId="g1")
second = sqs.send_message(QueueUrl=url, MessageBody="order-2", MessageGroupId="g1", MessageDeduplicationId="d2",
    MessageAttributes={"reason": {"DataType": "String", "StringValue": "x" * 300}})
out["dedup"] = [first["MessageId"] == dup["MessageId"], first["SequenceNumber"] < second["SequenceNumber"]]
got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"], MessageAttributeNames=["All"], VisibilityTimeout=0)
out["first"] = got["Messages"]
# the group's head was received once (maxReceiveCount 1): the next receive moves it to the DLQ
got2 = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=1)
out["second"] = got2.get("Messages", [])
dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"])
out["dead"] = dead.get("Messages", [])
out["batch_error"] = error_of(lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1", "MessageGroupId": "g"}, {"Id": "a", "MessageBody": "2", "MessageGroupId": "g"}]))
out["exists"] = error_of(lambda: sqs.create_queue(QueueName="py-work.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "99"}))
out["same"] = sqs.create_queue(QueueName="py-work.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"] == url
out["bad_attribute"] = error_of(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"]))
`,
    );
    expect(out.protocol).toBe("query");
    expect(out.missing).toEqual({
      code: "AWS.SimpleQueueService.NonExistentQueue",
      status: 400,
      type: "Sender",
    });
    expect(out.dedup).toEqual([true, true]);
    expect(out.first).toHaveLength(1);
    expect(out.first[0]).toMatchObject({
      Body: "order-1",
      Attributes: { MessageGroupId: "g1", ApproximateReceiveCount: "1" },
    });
    expect(out.first[0].Attributes.SequenceNumber).toMatch(/^\d{20}$/);
    expect(out.first[0].Attributes.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    // order-1 went to the DLQ, so order-2 is next in its group.
    expect(out.second.map((message: { Body: string }) => message.Body)).toEqual(["order-2"]);
    expect(out.second[0].MessageAttributes.reason.StringValue).toBe("x".repeat(300));
    expect(out.dead).toHaveLength(1);
    expect(out.dead[0]).toMatchObject({
      Body: "order-1",
      Attributes: { DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:py-work.fifo` },
    });
    expect(out.batch_error).toMatchObject({
      code: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
      status: 400,
    });
    expect(out.exists).toMatchObject({ code: "QueueAlreadyExists", status: 400 });
    expect(out.exists.message).toContain("VisibilityTimeout");
    expect(out.same).toBe(true);
    expect(out.bad_attribute).toMatchObject({ code: "InvalidAttributeName", status: 400 });
  }, 120_000);
});

/** A query request as any signed client sends it: form body, SigV4 scope naming `sqs`. */
async function query(params: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      authorization:
        "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: new URLSearchParams({ Version: "2012-11-05", ...params }).toString(),
  });
  return { status: response.status, text: await response.text() };
}

describe("SQS message move tasks over the query protocol (newer than the 2.9 CLI's model)", () => {
  it("starts a DLQ redrive and lists it, in AWS's XML", async () => {
    const ok = async (params: Record<string, string>): Promise<string> => {
      const result = await query(params);
      expect(result.status, result.text).toBe(200);
      return result.text;
    };
    await ok({ Action: "CreateQueue", QueueName: "mv-dlq" });
    await ok({
      Action: "CreateQueue",
      QueueName: "mv-src",
      "Attribute.1.Name": "RedrivePolicy",
      "Attribute.1.Value": JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:mv-dlq`,
        maxReceiveCount: 1,
      }),
    });
    await ok({ Action: "SendMessage", QueueUrl: `${endpoint}/${ACCOUNT}/mv-dlq`, MessageBody: "parked" });
    const started = await ok({
      Action: "StartMessageMoveTask",
      SourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:mv-dlq`,
      DestinationArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:mv-src`,
    });
    expect(started).toMatch(
      /<StartMessageMoveTaskResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><StartMessageMoveTaskResult><TaskHandle>[^<]+<\/TaskHandle><\/StartMessageMoveTaskResult>/,
    );
    let listed = "";
    for (let attempt = 0; attempt < 50; attempt += 1) {
      listed = await ok({
        Action: "ListMessageMoveTasks",
        SourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:mv-dlq`,
      });
      if (listed.includes("<Status>COMPLETED</Status>")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(listed).toContain("<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry>");
    expect(listed).toContain("<Status>COMPLETED</Status>");
    expect(listed).toContain("<ApproximateNumberOfMessagesMoved>1</ApproximateNumberOfMessagesMoved>");
    const received = await ok({ Action: "ReceiveMessage", QueueUrl: `${endpoint}/${ACCOUNT}/mv-src` });
    expect(received).toContain("<Body>parked</Body>");

    const unknown = await query({ Action: "ListQueuesByColour" });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toMatch(
      /<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.UnsupportedOperation<\/Code><Message>[^<]*ListQueuesByColour[^<]*<\/Message>/,
    );
    expect(unknown.text).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  }, 60_000);
});
