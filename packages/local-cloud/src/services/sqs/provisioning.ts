import { type LocalResource, LocalServiceError } from "../../types";
import { type QueueState, queueNameFromUrl, type SqsModel } from "./model";

/**
 * Provisioning: the program's `aws:sqs/queue:Queue` resources turned into the same CreateQueue call the
 * API makes (one validation path), and `aws:sqs/redriveAllowPolicy:RedriveAllowPolicy`,
 * `aws:sqs/redrivePolicy:RedrivePolicy` and `aws:sqs/queuePolicy:QueuePolicy` into SetQueueAttributes.
 * Those attach to a queue by URL and may come before it: they are kept by queue name until it exists.
 */
export class SqsProvisioner {
  private readonly pending = new Map<string, Record<string, string>>();

  constructor(private readonly model: SqsModel) {}

  provision(resource: LocalResource): void {
    const inputs = (resource.inputs ?? {}) as Record<string, unknown>;
    const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
    try {
      switch (resource.type) {
        case "aws:sqs/queue:Queue":
          this.queue(resource, inputs, outputs);
          return;
        case "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy":
          this.attach(inputs, "RedriveAllowPolicy", inputs.redriveAllowPolicy);
          return;
        case "aws:sqs/redrivePolicy:RedrivePolicy":
          this.attach(inputs, "RedrivePolicy", inputs.redrivePolicy);
          return;
        case "aws:sqs/queuePolicy:QueuePolicy":
          this.attach(inputs, "Policy", inputs.policy);
          return;
        default:
          return;
      }
    } catch (error) {
      if (error instanceof LocalServiceError) {
        throw new Error(`${resource.type} ${resource.name}: ${error.code}: ${error.message}`);
      }
      throw error;
    }
  }

  private queue(
    resource: LocalResource,
    inputs: Record<string, unknown>,
    outputs: Record<string, unknown>,
  ): void {
    const fifo = inputs.fifoQueue === true || inputs.fifoQueue === "true";
    let name =
      typeof outputs.name === "string"
        ? outputs.name
        : typeof inputs.name === "string"
          ? inputs.name
          : resource.name;
    if (fifo && !name.endsWith(".fifo")) name = `${name}.fifo`;
    const kms =
      typeof inputs.kmsMasterKeyId === "string" && inputs.kmsMasterKeyId !== ""
        ? inputs.kmsMasterKeyId
        : undefined;
    const attributes: Record<string, string> = {};
    const put = (name: string, value: unknown): void => {
      if (value === undefined || value === null || value === "") return;
      attributes[name] =
        typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
    };
    if (fifo) {
      put("FifoQueue", "true");
      put("ContentBasedDeduplication", inputs.contentBasedDeduplication);
      put("DeduplicationScope", inputs.deduplicationScope);
      put("FifoThroughputLimit", inputs.fifoThroughputLimit);
    }
    put("VisibilityTimeout", inputs.visibilityTimeoutSeconds);
    put("DelaySeconds", inputs.delaySeconds);
    put("ReceiveMessageWaitTimeSeconds", inputs.receiveWaitTimeSeconds);
    put("MessageRetentionPeriod", inputs.messageRetentionSeconds);
    put("MaximumMessageSize", inputs.maxMessageSize);
    put("KmsMasterKeyId", kms);
    if (kms) put("KmsDataKeyReusePeriodSeconds", inputs.kmsDataKeyReusePeriodSeconds);
    put("SqsManagedSseEnabled", String(inputs.sqsManagedSseEnabled !== false && kms === undefined));
    put("Policy", inputs.policy);
    put("RedriveAllowPolicy", inputs.redriveAllowPolicy);
    put("RedrivePolicy", inputs.redrivePolicy);
    Object.assign(attributes, this.pending.get(name));
    const tags = (typeof inputs.tags === "object" && inputs.tags !== null ? inputs.tags : {}) as Record<
      string,
      string
    >;
    const arn = typeof outputs.arn === "string" ? outputs.arn : undefined;
    this.model.createQueue(name, attributes, tags, { arn, provisioning: true });
    this.model.ctx.log.debug("sqs: queue provisioned", { name, fifo });
  }

  /** A policy resource: applied to its queue now, or when the queue is provisioned. */
  private attach(inputs: Record<string, unknown>, attribute: string, value: unknown): void {
    const name = queueNameFromUrl(inputs.queueUrl);
    if (!name || value === undefined || value === null) return;
    const json = typeof value === "string" ? value : JSON.stringify(value);
    const pending = this.pending.get(name) ?? {};
    pending[attribute] = json;
    this.pending.set(name, pending);
    const queue: QueueState | undefined = this.model.queues.get(name);
    if (queue) this.model.applyAttributes(queue, { [attribute]: json }, false, true);
  }
}
