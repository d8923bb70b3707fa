import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { renderPolicy, tlsOnlyStatement } from "./policy";
import { applyTransform, childOptions, type Transform } from "./transform";
import { ArgChecker } from "./validate";

export interface PrivateBucketArgs {
  /**
   * Protects the objects: `false` lets `pulumi destroy` empty the bucket (`forceDestroy`).
   * @default true
   */
  deletionProtection?: boolean;
  /** Prefix of the generated bucket name (S3 allows at most 37 characters). @default `${name}-` */
  bucketPrefix?: string;
  /**
   * The component that declared these resources before they moved into this one (same logical names): each
   * resource gets an alias to its old parent, so an existing stack updates in place instead of replacing it.
   * @default undefined
   */
  movedFrom?: pulumi.Resource;
  /** Changes to the underlying resources. @default {} */
  transform?: {
    bucket?: Transform<aws.s3.BucketArgs>;
    publicAccessBlock?: Transform<aws.s3.BucketPublicAccessBlockArgs>;
    ownership?: Transform<aws.s3.BucketOwnershipControlsArgs>;
    encryption?: Transform<aws.s3.BucketServerSideEncryptionConfigurationArgs>;
    policy?: Transform<aws.s3.BucketPolicyArgs>;
  };
}

/**
 * An S3 bucket nobody outside the account reaches: every public access blocked, ACLs disabled
 * (`BucketOwnerEnforced`), encrypted at rest (SSE-S3 with bucket keys) and a policy denying requests without TLS.
 */
export class PrivateBucket extends pulumi.ComponentResource {
  static readonly type = "switchyard:kit:PrivateBucket";
  readonly bucket: aws.s3.Bucket;
  readonly arn: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;
  readonly policy: aws.s3.BucketPolicy;

  constructor(name: string, args: PrivateBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super(PrivateBucket.type, name, {}, opts);
    const check = new ArgChecker(PrivateBucket.type, name);
    const prefix = args.bucketPrefix ?? `${name}-`;
    if (!/^[a-z0-9][a-z0-9.-]{0,36}$/.test(prefix)) {
      check.fail(
        "bucketPrefix",
        `must be 1 to 37 lower-case letters, digits, dots and hyphens (got ${JSON.stringify(prefix)})`,
      );
    }
    this.bucket = new aws.s3.Bucket(
      ...applyTransform(
        args.transform?.bucket,
        name,
        { bucketPrefix: prefix, forceDestroy: !(args.deletionProtection ?? true) },
        childOptions(this, args.movedFrom),
      ),
    );
    new aws.s3.BucketPublicAccessBlock(
      ...applyTransform(
        args.transform?.publicAccessBlock,
        `${name}-public-access`,
        {
          bucket: this.bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        childOptions(this, args.movedFrom),
      ),
    );
    new aws.s3.BucketOwnershipControls(
      ...applyTransform(
        args.transform?.ownership,
        `${name}-ownership`,
        { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        childOptions(this, args.movedFrom),
      ),
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      ...applyTransform(
        args.transform?.encryption,
        `${name}-encryption`,
        {
          bucket: this.bucket.id,
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        },
        childOptions(this, args.movedFrom),
      ),
    );
    this.policy = new aws.s3.BucketPolicy(
      ...applyTransform(
        args.transform?.policy,
        `${name}-policy`,
        {
          bucket: this.bucket.id,
          policy: renderPolicy([
            tlsOnlyStatement("s3", [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`]),
          ]),
        },
        childOptions(this, args.movedFrom),
      ),
    );
    this.arn = this.bucket.arn;
    this.bucketName = this.bucket.bucket;
    this.registerOutputs({ arn: this.arn, name: this.bucketName });
  }
}
