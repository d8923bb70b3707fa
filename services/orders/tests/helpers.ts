import { MOCK_ACCOUNT_ID, parseJsonInput, type RecordedResource } from "@switchyard/testing";
import type { OrdersFanOutArgs } from "../src/index";

export const ALARM_TOPIC_ARN = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT_ID}:switchyard-alarms-ops`;
export const ALARM_KEY_ARN = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/aaaaaaaa-1111-2222-3333-444444444444`;
export const KEY_ARN = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const NOTIFICATION_BUS = {
  name: "notifications-bus",
  arn: `arn:aws:events:us-east-1:${MOCK_ACCOUNT_ID}:event-bus/notifications-bus`,
};

/** The args the root stack passes, with values that differ from every default. */
export const baseArgs = (overrides: Partial<OrdersFanOutArgs> = {}): OrdersFanOutArgs => ({
  alarmTopicArn: ALARM_TOPIC_ARN,
  alarmTopicKmsKeyArn: ALARM_KEY_ARN,
  notificationBus: NOTIFICATION_BUS,
  logRetentionDays: 30,
  memorySize: 512,
  maximumConcurrency: 4,
  maxReceiveCount: 3,
  deletionProtection: true,
  pointInTimeRecovery: true,
  archiveRetentionDays: 90,
  ...overrides,
});

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Service?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export const listOf = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export function statementsOf(resource: RecordedResource | undefined, input = "policy"): Statement[] {
  if (!resource) throw new Error("no resource to read a policy from");
  return parseJsonInput<{ Statement: Statement[] }>(resource.inputs[input], `${resource.name}.${input}`)
    .Statement;
}

/** The resources of a component instance: those whose logical name starts with `<instance>-`. */
export const ofInstance = (resources: readonly RecordedResource[], instance: string, type: string) =>
  resources.filter((r) => r.type === type && r.name.startsWith(`${instance}-`));
