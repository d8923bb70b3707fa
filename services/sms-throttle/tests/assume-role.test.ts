import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { AssumeRoleError, assumeRoleCredentials, roleSessionName } from "../src/adapters/assume-role";
import { endUserMessagingOutcome } from "../src/adapters/end-user-messaging";
import { SmsThrottleError } from "../src/errors";

const ROLE = "arn:aws:iam::210987654321:role/sms-sender-fr";
const sts = mockClient(STSClient);

const answer = (key: string, expiresAt: number) => ({
  Credentials: {
    AccessKeyId: key,
    SecretAccessKey: `secret-${key}`,
    SessionToken: `token-${key}`,
    Expiration: new Date(expiresAt),
  },
});

beforeEach(() => {
  sts.reset();
});

describe("assumeRoleCredentials: an origination identity in another account", () => {
  it("assumes exactly the configured role once, and shares one call between concurrent sends", async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves(answer("AKIA1", 3_600_000));
    const credentials = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), ROLE, {
      sessionName: roleSessionName("fr-bulk"),
      now: () => 0,
    });

    // Act
    const [a, b] = await Promise.all([credentials(), credentials()]);
    const c = await credentials();

    // Assess
    expect([a.accessKeyId, b.accessKeyId, c.accessKeyId]).toEqual(["AKIA1", "AKIA1", "AKIA1"]);
    expect(a.sessionToken).toBe("token-AKIA1");
    const calls = sts.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: "switchyard-sms-fr-bulk",
      DurationSeconds: 3600,
    });
  });

  it("renews the credentials five minutes before they expire", async () => {
    // Prepare
    let now = 0;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(answer("AKIA1", 3_600_000))
      .resolvesOnce(answer("AKIA2", 7_200_000));
    const credentials = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), ROLE, {
      sessionName: "s",
      now: () => now,
    });

    // Act
    const first = await credentials();
    now = 3_600_000 - 300_001;
    const stillFirst = await credentials();
    now = 3_600_000 - 299_999;
    const second = await credentials();

    // Assess
    expect([first.accessKeyId, stillFirst.accessKeyId, second.accessKeyId]).toEqual([
      "AKIA1",
      "AKIA1",
      "AKIA2",
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("a refused AssumeRole names the role, and the message is retried, not dead-lettered", async () => {
    // Prepare: the other account's trust policy does not (yet) name this sender's role.
    const denied = Object.assign(new Error("not authorized to perform: sts:AssumeRole"), {
      name: "AccessDenied",
      $metadata: { httpStatusCode: 403 },
      $fault: "client",
    });
    sts.on(AssumeRoleCommand).rejectsOnce(denied).resolves(answer("AKIA3", 3_600_000));
    const credentials = assumeRoleCredentials(new STSClient({ region: "us-east-1" }), ROLE, {
      sessionName: "s",
      now: () => 0,
    });

    // Act
    const error = await credentials().catch((e: unknown) => e);
    const retried = await credentials();

    // Assess
    expect(error).toBeInstanceOf(AssumeRoleError);
    expect(error).toBeInstanceOf(SmsThrottleError);
    expect((error as Error).message).toContain(ROLE);
    expect(endUserMessagingOutcome(error).kind).toBe("transient");
    expect(retried.accessKeyId).toBe("AKIA3");
  });

  it("makes a valid session name from any lane id", () => {
    expect(roleSessionName("de-verification")).toBe("switchyard-sms-de-verification");
    expect(roleSessionName("x".repeat(80))).toHaveLength(64);
    expect(roleSessionName("a b/c")).toBe("switchyard-sms-a-b-c");
  });
});
