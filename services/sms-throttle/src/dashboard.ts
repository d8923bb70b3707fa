import { BATCH_METRICS } from "@switchyard/runtime-kit";
import { SMS_METRICS } from "./constants";

export interface DashboardInput {
  region: string;
  service: string;
  namespace: string;
  lanes: { id: string; budget: number; queueName: string; deadLetterName: string }[];
}

const WIDTH = 12;
const HEIGHT = 6;

/** The CloudWatch dashboard body: parts sent against budget, throttles, permanent failures, queue age, DLQ depth. */
export const dashboardBody = ({ region, service, namespace, lanes }: DashboardInput): string => {
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
  return JSON.stringify({
    widgets: widgets.map((w, i) => ({
      type: "metric",
      x: (i % 2) * WIDTH,
      y: Math.floor(i / 2) * HEIGHT,
      width: WIDTH,
      height: HEIGHT,
      properties: { title: w.title, region, view: "timeSeries", stat: "Sum", period: 60, metrics: w.metrics },
    })),
  });
};
