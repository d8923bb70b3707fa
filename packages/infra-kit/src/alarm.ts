import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { applyTransform, type Transform } from "./transform";

/** A CloudWatch alarm on one metric (or a metric-math expression), notifying the ops topic. */
export type MetricAlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions"> & {
  /** The ops topic notified when the alarm fires and when it clears. */
  alarmTopicArn: pulumi.Input<string>;
};

/**
 * Declares an alarm the way every Switchyard alarm is declared: the ops topic on both `alarmActions` and
 * `okActions` (on-call learns when it clears too) and `treatMissingData: "notBreaching"` (no data means
 * nothing happened: no errors, no throttles, no dead letters), unless the args say otherwise.
 */
export function metricAlarm(
  name: string,
  args: MetricAlarmArgs,
  opts: pulumi.CustomResourceOptions,
  transform?: Transform<aws.cloudwatch.MetricAlarmArgs>,
): aws.cloudwatch.MetricAlarm {
  const { alarmTopicArn, ...rest } = args;
  return new aws.cloudwatch.MetricAlarm(
    ...applyTransform(
      transform,
      name,
      {
        treatMissingData: "notBreaching",
        ...rest,
        alarmActions: [alarmTopicArn],
        okActions: [alarmTopicArn],
      },
      opts,
    ),
  );
}
