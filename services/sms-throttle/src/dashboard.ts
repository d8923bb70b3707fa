import type { DashboardWidget } from "@switchyard/infra-kit";
import { BATCH_METRICS } from "@switchyard/runtime-kit";
import { SMS_METRICS } from "./constants";

export interface DashboardInput {
  service: string;
  namespace: string;
  lanes: { id: string; budget: number; queueName: string; deadLetterName: string }[];
}

/**
 * The service's own widgets, before the kit's (the senders' invocations, errors, throttles and duration, the state
 * table, the topic, an ingress API): parts sent against budget, throttles, permanent failures, queue age, DLQ depth.
 */
export const dashboardWidgets = ({ service, namespace, lanes }: DashboardInput): DashboardWidget[] => {
  const own = (metric: string) =>
    lanes.map((l) => [namespace, metric, "service", service, "lane", l.id, { label: l.id }]);
  const widgets = [
    {
      title: "Parts sent per minute (budget in the label)",
      metrics: lanes.map((l) => [
        namespace,
        SMS_METRICS.partsSent,
        "service",
        service,
        "lane",
        l.id,
        { label: `${l.id} (budget ${l.budget * 60}/min)` },
      ]),
    },
    { title: "Throttled (re-enqueued)", metrics: own(SMS_METRICS.throttled) },
    { title: "Permanent failures (to the DLQ)", metrics: own(BATCH_METRICS.failedPermanent) },
    {
      title: "Age of the oldest message (s)",
      metrics: lanes.map((l) => [
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "QueueName",
        l.queueName,
        { label: l.id, stat: "Maximum" },
      ]),
    },
    {
      title: "Dead-letter queue depth",
      metrics: lanes.map((l) => [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        l.deadLetterName,
        { label: `${l.id} DLQ`, stat: "Maximum" },
      ]),
    },
  ];
  return widgets.map((w) => ({ ...w, stat: "Sum" }));
};
