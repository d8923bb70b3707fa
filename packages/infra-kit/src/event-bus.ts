import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { NodeFunction } from "./node-function";
import { applyTransform, childOptions, type Transform } from "./transform";
import { ArgChecker } from "./validate";

export interface EventBusArgs {
  /** What the bus carries. @default undefined */
  description?: string;
  /**
   * A customer-managed KMS key ARN for events at rest; its policy must allow events.amazonaws.com (EventBridge
   * uses the key as itself, so publishers need no grant on it).
   * @default undefined (an AWS-owned key)
   */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * The component that declared these resources before they moved into this one (same logical names): each
   * resource gets an alias to its old parent, so an existing stack updates in place instead of replacing it.
   * @default undefined
   */
  movedFrom?: pulumi.Resource;
  /** Changes to the underlying resources. @default {} */
  transform?: { bus?: Transform<aws.cloudwatch.EventBusArgs> };
}

/**
 * A custom EventBridge bus, under the platform's key when it has one. `grantPut()` lets a function put events
 * on this bus only. Rules that deliver from it are `EventRuleQueueTarget`s (each alarms on failed deliveries).
 */
export class EventBus extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:EventBus";
  readonly bus: aws.cloudwatch.EventBus;
  readonly arn: pulumi.Output<string>;
  readonly busName: pulumi.Output<string>;
  /** `{ name, arn }`: what `EventRuleQueueTarget` and publishers take. */
  readonly ref: { name: pulumi.Output<string>; arn: pulumi.Output<string> };
  readonly kmsKeyArn: pulumi.Input<string> | undefined;

  constructor(name: string, args: EventBusArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(EventBus.type, name, {}, opts);
    new ArgChecker(EventBus.type, name);
    this.kmsKeyArn = args.kmsKeyArn;
    this.bus = new aws.cloudwatch.EventBus(
      ...applyTransform(
        args.transform?.bus,
        name,
        {
          ...(args.description ? { description: args.description } : {}),
          ...(args.kmsKeyArn ? { kmsKeyIdentifier: args.kmsKeyArn } : {}),
        },
        childOptions(this, args.movedFrom),
      ),
    );
    this.arn = this.bus.arn;
    this.busName = this.bus.name;
    this.ref = { name: this.bus.name, arn: this.bus.arn };
    this.registerOutputs({ arn: this.arn, name: this.busName });
  }

  /** Lets `fn` put events on this bus only. */
  grantPut(fn: NodeFunction): void {
    grantPutEvents(fn, this.ref);
  }
}

/** `events:PutEvents` on one bus only (a kit EventBus or another service's `{ name, arn }`). */
export function grantPutEvents(fn: NodeFunction, bus: { arn: pulumi.Input<string> }): void {
  fn.grant({ actions: ["events:PutEvents"], resources: [bus.arn] });
}
