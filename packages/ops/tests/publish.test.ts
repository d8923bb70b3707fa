import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { OpsClients } from "../src/clients";
import { publishSms } from "../src/publish";

const sns = mockClient(SNSClient);
const clients = { sns: new SNSClient({ region: "us-east-1" }) } as unknown as OpsClients;
const outputs = { smsTopicArn: "arn:aws:sns:us-east-1:123456789012:sms-throttle-requests-topic" };

describe("publish sms", () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
  });

  it("derives the country attribute from the number, as the ingress and the senders do", async () => {
    const result = await publishSms(clients, outputs, {
      phoneNumber: "+33612345678",
      text: "Bonjour",
      useCase: "OFFER",
    });
    expect(result).toMatchObject({ messageId: "m-1", country: "FR", parts: 1 });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes).toEqual({
      country: { DataType: "String", StringValue: "FR" },
      useCase: { DataType: "String", StringValue: "OFFER" },
    });
    expect(JSON.parse(input?.Message ?? "{}")).toEqual({ phoneNumber: "+33612345678", text: "Bonjour" });
  });

  it("refuses a country that disagrees with the number, naming the field, and publishes nothing", async () => {
    await expect(
      publishSms(clients, outputs, {
        phoneNumber: "+33612345678",
        text: "hi",
        country: "DE",
        useCase: "VERIFICATION",
      }),
    ).rejects.toThrow(
      "publish sms: country: DE disagrees with the number, which is in FR (leave country out: it is derived from the number)",
    );
    await expect(
      publishSms(clients, outputs, { phoneNumber: "+9991234567", text: "hi", useCase: "VERIFICATION" }),
    ).rejects.toThrow("publish sms: phoneNumber: not a valid number of any country");
    // A German prefix on a number no German range holds: the senders would dead-letter it.
    await expect(
      publishSms(clients, outputs, { phoneNumber: "+49000000000", text: "hi", useCase: "VERIFICATION" }),
    ).rejects.toThrow("publish sms: phoneNumber: not a valid number of any country");
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
