import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { Iam } from "../src/iam";
import { ConditionKeyIndex } from "../src/iam/context-keys";
import type { LocalResource } from "../src/types";
import { captureLog } from "./fakes";

/**
 * The IAM decision cache: decisions are shared by requests the policies cannot tell apart (a
 * `dynamodb:LeadingKeys` value within the same granted prefix), never by requests they can, and are forgotten
 * when a policy changes.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/writer-role`;
const TABLE = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders-inventory`;

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown>,
) {
  return { type, name, urn: `urn:${name}`, custom: true, inputs, outputs, id: name } as LocalResource;
}

/** The role may PutItem only items whose partition key starts with one of `prefixes` (the stack's pattern). */
function grant(prefixes: string[]) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["dynamodb:PutItem"],
        Resource: TABLE,
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes } },
      },
    ],
  };
}

async function setup() {
  const iam = new Iam({ enabled: true, accountId: ACCOUNT, region: REGION, log: captureLog().log });
  iam.provision(resource("aws:iam/role:Role", "writer-role", {}, { arn: ROLE, name: "writer-role" }));
  iam.provision(
    resource(
      "aws:iam/rolePolicy:RolePolicy",
      "writer-policy",
      { role: "writer-role", policy: JSON.stringify(grant(["EVENT#*", "SKU#*"])) },
      { name: "writer-policy" },
    ),
  );
  iam.provision(resource("aws:dynamodb/table:Table", "orders-inventory", { hashKey: "pk" }, { arn: TABLE }));
  await iam.load();
  const { accessKeyId } = iam.functionCredentials("writer", ROLE) as { accessKeyId: string };
  const put = (pk: string) => {
    const req = {
      method: "POST",
      url: "/",
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20240101/${REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=x`,
        "x-amz-target": "DynamoDB_20120810.PutItem",
      },
    } as unknown as IncomingMessage;
    const body = Buffer.from(JSON.stringify({ TableName: "orders-inventory", Item: { pk: { S: pk } } }));
    return iam.authorizeRequest("dynamodb", req, body);
  };
  return { iam, put };
}

describe("IAM decision cache", () => {
  it("evaluates once for partition keys within one granted prefix, and still refuses one outside it", async () => {
    const { iam, put } = await setup();
    expect(await put("EVENT#order-1#1")).toBeUndefined();
    const after = iam.evaluations;
    expect(await put("EVENT#order-2#1")).toBeUndefined();
    expect(await put("EVENT#order-3#1")).toBeUndefined();
    expect(iam.evaluations).toBe(after);
    // Another prefix, and a key matching none: each its own decision.
    expect(await put("SKU#a")).toBeUndefined();
    const denied = await put("CUSTOMER#1");
    expect(denied).toMatchObject({ action: "dynamodb:PutItem", resource: TABLE, deniedBy: "identity" });
    expect(await put("CUSTOMER#2")).toMatchObject({ action: "dynamodb:PutItem" });
    expect(iam.evaluations).toBe(after + 2);
  });

  it("forgets its decisions when a policy changes: a prefix no longer granted is refused", async () => {
    const { iam, put } = await setup();
    expect(await put("EVENT#order-1#1")).toBeUndefined();
    iam.policies.setIdentityPolicies(ROLE, [{ name: "writer-policy", policy: grant(["SKU#*"]) }]);
    expect(await put("EVENT#order-2#1")).toMatchObject({ action: "dynamodb:PutItem", deniedBy: "identity" });
    expect(await put("SKU#a")).toBeUndefined();
    iam.policies.setIdentityPolicies(ROLE, [{ name: "writer-policy", policy: grant(["EVENT#*"]) }]);
    expect(await put("EVENT#order-3#1")).toBeUndefined();
    expect(await put("SKU#b")).toMatchObject({ action: "dynamodb:PutItem" });
    // A narrower pattern the old policies did not have tells apart keys that shared a decision before.
    iam.policies.setIdentityPolicies(ROLE, [{ name: "writer-policy", policy: grant(["EVENT#a*"]) }]);
    expect(await put("EVENT#b1")).toMatchObject({ action: "dynamodb:PutItem" });
    expect(await put("EVENT#a1")).toBeUndefined();
  });
});

describe("condition key index", () => {
  const policy = (condition: unknown, resource = "*") => ({
    Statement: [{ Effect: "Allow", Action: "*", Resource: resource, Condition: condition }],
  });

  it("ignores the values of keys no policy names", () => {
    const index = new ConditionKeyIndex([policy({ StringEquals: { "aws:SourceArn": "x" } })]);
    expect(index.signature({ "dynamodb:LeadingKeys": ["a"] })).toBe(
      index.signature({ "dynamodb:LeadingKeys": ["b"] }),
    );
    expect(index.signature({ "dynamodb:LeadingKeys": ["a"] })).not.toBe(
      index.signature({ "dynamodb:LeadingKeys": ["a", "b"] }),
    );
    expect(index.signature({ "dynamodb:LeadingKeys": ["a"] })).not.toBe(index.signature({}));
  });

  it("tells apart values that compare differently with a string condition's patterns (any case of the key)", () => {
    const index = new ConditionKeyIndex([
      policy({ "ForAllValues:StringLike": { "dynamodb:leadingkeys": ["EVENT#*", "a?c"] } }),
      policy({ StringEqualsIgnoreCase: { "dynamodb:LeadingKeys": "Exact" } }),
    ]);
    const sig = (value: string) => index.signature({ "dynamodb:LeadingKeys": [value] });
    expect(sig("EVENT#1")).toBe(sig("EVENT#2"));
    expect(sig("EVENT#1")).not.toBe(sig("event#1"));
    expect(sig("EVENT#1")).not.toBe(sig("SKU#1"));
    expect(sig("abc")).not.toBe(sig("a?c"));
    expect(sig("abc")).toBe(sig("axc"));
    expect(sig("exact")).not.toBe(sig("exacT#"));
    // Outside printable ASCII a value keeps its text.
    expect(sig("EVENT#\n1")).not.toBe(sig("EVENT#\n2"));
    expect(sig("EVENT#é")).not.toBe(sig("EVENT#è"));
  });

  it("keeps the value itself for keys named by other conditions, policy variables or unreadable policies", () => {
    const numeric = new ConditionKeyIndex([policy({ NumericLessThan: { "s3:max-keys": "10" } })]);
    expect(numeric.signature({ "s3:max-keys": "1" })).not.toBe(numeric.signature({ "s3:max-keys": "2" }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
    const variable = new ConditionKeyIndex([policy(undefined, "arn:aws:s3:::bucket/${aws:username}/*")]);
    expect(variable.signature({ "aws:username": "a" })).not.toBe(variable.signature({ "aws:username": "b" }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM's escape of `*`, not a template
    const escaped = new ConditionKeyIndex([policy({ StringLike: { k: "a${*}" } })]);
    expect(escaped.signature({ k: "a1" })).not.toBe(escaped.signature({ k: "a2" }));
    const unreadable = new ConditionKeyIndex([policy("StringEquals")]);
    expect(unreadable.signature({ k: "a" })).not.toBe(unreadable.signature({ k: "b" }));
  });
});

describe("recorded calls, replayed under other policies", () => {
  it("records each decision of a role once and replays it: allowed with the role's policies, refused without the statement", async () => {
    const { iam, put } = await setup();
    await put("EVENT#before-recording");
    expect(iam.recordedCalls(ROLE)).toEqual([]);
    iam.recordCalls();
    expect(await put("EVENT#order-1#1")).toBeUndefined();
    expect(await put("EVENT#order-2#1")).toBeUndefined(); // the same decision: recorded once
    expect(await put("CUSTOMER#1")).toBeDefined();
    const calls = iam.recordedCalls(ROLE);
    expect(calls.map((c) => [c.request.context?.["dynamodb:LeadingKeys"], c.allowed])).toEqual([
      [["EVENT#order-1#1"], true],
      [["CUSTOMER#1"], false],
    ]);
    expect(iam.recordedRoles()).toEqual([ROLE]);
    const allowed = calls.filter((c) => c.allowed);
    expect(await iam.replay(allowed, iam.policies.identityPolicies(ROLE))).toEqual([]);
    const denials = await iam.replay(allowed, [{ name: "writer-policy", policy: grant(["SKU#*"]) }]);
    expect(denials).toEqual([
      expect.objectContaining({
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/writer-role/writer`,
        action: "dynamodb:PutItem",
        resource: TABLE,
        deniedBy: "identity",
      }),
    ]);
    // Replaying changed nothing: the role's own policies still decide its requests.
    expect(await put("EVENT#order-3#1")).toBeUndefined();
  });
});

describe("an event source mapping polling a queue under a customer managed key", () => {
  it("needs kms:Decrypt (kms:ViaService sqs) from the function's role besides the queue actions", async () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/consumer-role`;
    const queue = `arn:aws:sqs:${REGION}:${ACCOUNT}:sealed-queue`;
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1111`;
    const iam = new Iam({ enabled: true, accountId: ACCOUNT, region: REGION, log: captureLog().log });
    iam.provision(resource("aws:kms/key:Key", "key", {}, { arn: key, keyId: "1111" }));
    iam.provision(resource("aws:iam/role:Role", "consumer-role", {}, { arn: role, name: "consumer-role" }));
    const statements = [
      { Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage"], Resource: queue },
      {
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: key,
        Condition: { StringEquals: { "kms:ViaService": `sqs.${REGION}.amazonaws.com` } },
      },
    ];
    iam.provision(
      resource(
        "aws:iam/rolePolicy:RolePolicy",
        "consumer-policy",
        { role: "consumer-role", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
        { name: "consumer-policy" },
      ),
    );
    iam.provision(
      resource(
        "aws:sqs/queue:Queue",
        "sealed-queue",
        { kmsMasterKeyId: key },
        { arn: queue, name: "sealed-queue" },
      ),
    );
    expect(await iam.checkRole(role, "sqs:ReceiveMessage", queue)).toBeUndefined();
    iam.policies.setIdentityPolicies(role, [
      { name: "consumer-policy", policy: { Version: "2012-10-17", Statement: [statements[0]] } },
    ]);
    expect(await iam.checkRole(role, "sqs:ReceiveMessage", queue)).toMatchObject({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/consumer-role/event-source-mapping`,
      action: "kms:Decrypt",
      resource: key,
    });
  });
});
