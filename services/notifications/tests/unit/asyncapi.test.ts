import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { userNotificationSchema } from "@switchyard/contracts";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import * as protocol from "../../src/protocol";

type Schema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  oneOf?: Schema[];
  items?: Schema;
  $ref?: string;
};
interface Message {
  payload: Schema;
  examples?: { payload: unknown }[];
}

const doc = parse(readFileSync(fileURLToPath(new URL("../../asyncapi.yaml", import.meta.url)), "utf8")) as {
  asyncapi: string;
  components: { messages: Record<string, Message> };
};
const messages = doc.components.messages;

/** Each message of the document and the zod schema that implements it. */
const IMPLEMENTED_BY: Record<string, z.ZodType> = {
  markRead: protocol.markReadRequestSchema,
  listUnread: protocol.listUnreadRequestSchema,
  actionable: protocol.actionableFrameSchema,
  feedback: protocol.feedbackFrameSchema,
  unreadCount: protocol.unreadCountFrameSchema,
  unreadList: protocol.unreadListFrameSchema,
  error: protocol.errorFrameSchema,
};

/** What both sides must agree on: fields, required fields, closedness, each field's type and const/enum. */
function shape(schema: Schema): unknown {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, value]) => [
      key,
      { type: value.$ref ? "object" : value.type, const: value.const, enum: value.enum ?? value.items?.enum },
    ]),
  );
  return {
    properties,
    required: [...(schema.required ?? [])].sort(),
    closed: schema.additionalProperties === false,
  };
}

const jsonSchemaOf = (schema: z.ZodType): Schema =>
  z.toJSONSchema(schema, { unrepresentable: "any" }) as Schema;

describe("asyncapi.yaml", () => {
  it("is an AsyncAPI 3 document describing every WebSocket message and the EventBridge event", () => {
    // Assess
    expect(doc.asyncapi).toMatch(/^3\./);
    expect(Object.keys(messages).sort()).toEqual(
      [...Object.keys(IMPLEMENTED_BY), "sendUserNotification"].sort(),
    );
  });

  it.each(Object.entries(IMPLEMENTED_BY))("%s agrees with its zod schema", (name, schema) => {
    // Prepare
    const documented = messages[name]?.payload;

    // Act
    const implemented = jsonSchemaOf(schema);

    // Assess
    expect(documented).toBeDefined();
    expect(shape(documented as Schema)).toEqual(shape(implemented));
  });

  it("documents the event detail exactly as userNotificationSchema of @switchyard/contracts", () => {
    // Prepare
    const event = messages.sendUserNotification?.payload;

    // Act
    const implemented = jsonSchemaOf(userNotificationSchema).oneOf ?? [];

    // Assess
    expect(event?.properties?.["detail-type"]?.const).toBe("Send User Notification");
    expect((event?.properties?.detail?.oneOf ?? []).map(shape)).toEqual(implemented.map(shape));
  });

  it.each(
    Object.entries(messages).flatMap(([name, message]) =>
      (message.examples ?? []).map((example, index) => [name, index, example.payload] as const),
    ),
  )("example %s[%i] is accepted by the zod schema", (name, _, payload) => {
    // Act
    const result =
      name === "sendUserNotification"
        ? userNotificationSchema.safeParse((payload as { detail: unknown }).detail)
        : (IMPLEMENTED_BY[name] as z.ZodType).safeParse(payload);

    // Assess
    expect(result.error?.issues ?? []).toEqual([]);
  });
});
