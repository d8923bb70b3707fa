import { describe, expect, it } from "vitest";
import { ArgChecker, ComponentArgsError, InfraKitError, ReliableQueue } from "../src/index";
import { ALARM_TOPIC_ARN } from "./helpers";

class ServiceArgsError extends Error {
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(`${component} "${instance}": ${arg} ${detail}`);
  }
}

describe("InfraKitError", () => {
  it("is the base of a kit component's refusal, which names the component and the arg", () => {
    const act = () => new ReliableQueue("Bad_Name", { alarmTopicArn: ALARM_TOPIC_ARN });
    expect(act).toThrow(InfraKitError);
    expect(act).toThrow(ComponentArgsError);
    expect(act).toThrow(/switchyard:[a-z-]+:ReliableQueue "Bad_Name": name must start with a letter/);
  });

  it("lets a service's ArgChecker throw the service's own args error, with the same message", () => {
    const check = new ArgChecker("switchyard:test:Thing", "t", ServiceArgsError);
    const act = () => check.int("retries", 0, 1, 5);
    expect(act).toThrow(ServiceArgsError);
    expect(act).not.toThrow(InfraKitError);
    expect(act).toThrow('switchyard:test:Thing "t": retries must be an integer from 1 to 5 (got 0)');
  });
});
