import type { LocalContext, LocalResource } from "../../types";
import { isRecord, records } from "../../values";
import type { S3Api } from "./api";
import { notificationConfig } from "./notifications";

/**
 * The program's S3 resources turned into the API calls a client would make (CreateBucket,
 * PutBucketNotificationConfiguration, PutBucketVersioning, PutBucketLifecycleConfiguration, ...), as the
 * program's declaration (`origin: "program"`): resources come in the program's order, so a bucket's
 * configuration may arrive before the bucket and destinations may not exist yet; what S3 would refuse is
 * logged. Pulumi's V2 resource types (`aws:s3/bucketV2:BucketV2`...) are read as the V1 ones.
 */

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Provisions one resource when it is S3's; ignores the others. */
export function provisionS3(ctx: LocalContext, api: S3Api, resource: LocalResource): void {
  const type = resource.type.replace(/V2/g, "");
  if (!type.startsWith("aws:s3/")) return;
  const inputs = resource.inputs as Record<string, unknown>;
  if (type === "aws:s3/bucket:Bucket") {
    const outputs = (resource.outputs ?? {}) as Record<string, unknown>;
    const name = String(
      (typeof outputs.bucket === "string" && outputs.bucket) ||
        (typeof inputs.bucket === "string" && inputs.bucket) ||
        resource.id ||
        resource.name,
    );
    api.CreateBucket({ Bucket: name }, "program");
    api.declare(name, resource.name);
    // pulumi-aws's deprecated inline arguments.
    if (isRecord(inputs.tags))
      api.PutBucketTagging({
        Bucket: name,
        Tags: Object.fromEntries(Object.entries(inputs.tags).map(([k, v]) => [k, String(v)])),
      });
    if (isRecord(inputs.versioning) && inputs.versioning.enabled === true)
      api.PutBucketVersioning({ Bucket: name, Status: "Enabled" }, "program");
    return;
  }
  const name = typeof inputs.bucket === "string" ? inputs.bucket : undefined;
  if (!name) return;
  api.declare(name, resource.name);
  switch (type) {
    case "aws:s3/bucketNotification:BucketNotification":
      api.PutBucketNotificationConfiguration(
        { Bucket: name, NotificationConfiguration: notificationConfig(inputs) },
        "program",
      );
      break;
    case "aws:s3/bucketVersioning:BucketVersioning": {
      const vc = isRecord(inputs.versioningConfiguration) ? inputs.versioningConfiguration : {};
      api.PutBucketVersioning(
        { Bucket: name, ...(typeof vc.status === "string" ? { Status: vc.status } : {}) },
        "program",
      );
      break;
    }
    case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
      api.PutBucketLifecycleConfiguration({ Bucket: name, Rules: records(inputs.rules) });
      break;
    case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
      const rule = Array.isArray(inputs.rules) ? inputs.rules.find(isRecord) : undefined;
      const byDefault =
        rule && isRecord(rule.applyServerSideEncryptionByDefault)
          ? rule.applyServerSideEncryptionByDefault
          : {};
      api.PutBucketEncryption({
        Bucket: name,
        Encryption: {
          algorithm: typeof byDefault.sseAlgorithm === "string" ? byDefault.sseAlgorithm : "AES256",
          ...(typeof byDefault.kmsMasterKeyId === "string" ? { kmsKeyId: byDefault.kmsMasterKeyId } : {}),
          ...(rule?.bucketKeyEnabled === true ? { bucketKeyEnabled: true } : {}),
        },
      });
      break;
    }
    case "aws:s3/bucketPolicy:BucketPolicy":
      api.PutBucketPolicy({
        Bucket: name,
        Policy: typeof inputs.policy === "string" ? safeJson(inputs.policy) : inputs.policy,
      });
      break;
    case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
      const block = { ...inputs };
      delete block.bucket;
      api.PutPublicAccessBlock({ Bucket: name, PublicAccessBlockConfiguration: block });
      break;
    }
    case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
      api.PutBucketOwnershipControls({
        Bucket: name,
        ...(isRecord(inputs.rule) && typeof inputs.rule.objectOwnership === "string"
          ? { ObjectOwnership: inputs.rule.objectOwnership }
          : {}),
      });
      break;
    default:
      ctx.log.debug("s3 resource recorded only", { type: resource.type, bucket: name });
  }
}
