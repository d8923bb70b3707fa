import { createHash } from "node:crypto";
import { isRecord, records } from "../../values";
import { el, xmlElements, elementText as xmlText } from "../../wire/rest-xml";
import { xmlEscape } from "../../wire/xml";
import { invalidArgument, malformedXml, S3Error } from "./errors";
import { S3_XMLNS } from "./identifiers";
import type { BucketEncryption, LifecycleRuleInput } from "./model";
import type { NotificationConfig, NotificationTarget } from "./notifications";

/**
 * The REST-XML documents of a bucket's configuration sub-resources (`?notification`, `?lifecycle`, `?policy`,
 * `?encryption`, `?publicAccessBlock`, `?ownershipControls`, `?tagging`, `?acl`) as S3 returns them, and the
 * notification document S3 accepts (PutBucketNotificationConfiguration).
 */

// ---------------------------------------------------------------- documents S3 returns

const xml = (root: string, inner: string): string => `<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;

function filterXml(target: NotificationTarget): string {
  const rules = [
    ...(target.filterPrefix !== undefined ? [["Prefix", target.filterPrefix]] : []),
    ...(target.filterSuffix !== undefined ? [["Suffix", target.filterSuffix]] : []),
  ];
  if (rules.length === 0) return "";
  return `<Filter><S3Key>${rules
    .map(([name, value]) => `<FilterRule><Name>${name}</Name><Value>${xmlEscape(value)}</Value></FilterRule>`)
    .join("")}</S3Key></Filter>`;
}

/** GetBucketNotificationConfiguration's document. */
export function notificationXml(config: NotificationConfig | undefined): string {
  const targets = config?.targets ?? [];
  const part = (kind: NotificationTarget["kind"], element: string, arnElement: string): string =>
    targets
      .filter((target) => target.kind === kind)
      .map(
        (target) =>
          `<${element}>${el("Id", target.id)}${el(arnElement, target.arn)}${target.events
            .map((event) => el("Event", event))
            .join("")}${filterXml(target)}</${element}>`,
      )
      .join("");
  return xml(
    "NotificationConfiguration",
    `${part("topic", "TopicConfiguration", "Topic")}${part("queue", "QueueConfiguration", "Queue")}${part(
      "lambda",
      "CloudFunctionConfiguration",
      "CloudFunction",
    )}${config?.eventbridge ? "<EventBridgeConfiguration></EventBridgeConfiguration>" : ""}`,
  );
}

const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

function tagXml(key: string, value: unknown): string {
  return `<Tag>${el("Key", key)}${el("Value", String(value ?? ""))}</Tag>`;
}

/** One lifecycle rule, from Pulumi's input shape to S3's `<Rule>`. */
function lifecycleRuleXml(rule: LifecycleRuleInput, index: number): string {
  const filter = isRecord(rule.filter) ? rule.filter : undefined;
  let filterInner = "";
  if (filter) {
    const and = isRecord(filter.and) ? filter.and : undefined;
    if (and) {
      filterInner = `<And>${text(and.prefix) !== undefined ? el("Prefix", text(and.prefix)) : ""}${Object.entries(
        isRecord(and.tags) ? and.tags : {},
      )
        .map(([key, value]) => tagXml(key, value))
        .join(
          "",
        )}${num(and.objectSizeGreaterThan) !== undefined ? el("ObjectSizeGreaterThan", num(and.objectSizeGreaterThan)) : ""}${
        num(and.objectSizeLessThan) !== undefined ? el("ObjectSizeLessThan", num(and.objectSizeLessThan)) : ""
      }</And>`;
    } else if (isRecord(filter.tag) && typeof filter.tag.key === "string") {
      filterInner = tagXml(filter.tag.key, filter.tag.value);
    } else if (num(filter.objectSizeGreaterThan) !== undefined) {
      filterInner = el("ObjectSizeGreaterThan", num(filter.objectSizeGreaterThan));
    } else if (num(filter.objectSizeLessThan) !== undefined) {
      filterInner = el("ObjectSizeLessThan", num(filter.objectSizeLessThan));
    } else if (typeof filter.prefix === "string") {
      filterInner = `<Prefix>${xmlEscape(filter.prefix)}</Prefix>`;
    }
  }
  const prefix =
    !filter && typeof rule.prefix === "string" ? `<Prefix>${xmlEscape(rule.prefix)}</Prefix>` : "";
  const expiration = isRecord(rule.expiration) ? rule.expiration : undefined;
  const expirationXml = expiration
    ? `<Expiration>${text(expiration.date) ? el("Date", text(expiration.date)) : ""}${
        num(expiration.days) !== undefined ? el("Days", num(expiration.days)) : ""
      }${expiration.expiredObjectDeleteMarker === true ? el("ExpiredObjectDeleteMarker", "true") : ""}</Expiration>`
    : "";
  const transitions = records(rule.transitions)
    .map(
      (transition) =>
        `<Transition>${text(transition.date) ? el("Date", text(transition.date)) : ""}${
          num(transition.days) !== undefined ? el("Days", num(transition.days)) : ""
        }${el("StorageClass", text(transition.storageClass))}</Transition>`,
    )
    .join("");
  const noncurrentTransitions = records(rule.noncurrentVersionTransitions)
    .map(
      (transition) =>
        `<NoncurrentVersionTransition>${el("NoncurrentDays", num(transition.noncurrentDays))}${el(
          "StorageClass",
          text(transition.storageClass),
        )}</NoncurrentVersionTransition>`,
    )
    .join("");
  const noncurrent = isRecord(rule.noncurrentVersionExpiration)
    ? rule.noncurrentVersionExpiration
    : undefined;
  const noncurrentXml = noncurrent
    ? `<NoncurrentVersionExpiration>${el("NoncurrentDays", num(noncurrent.noncurrentDays))}${
        num(noncurrent.newerNoncurrentVersions) !== undefined
          ? el("NewerNoncurrentVersions", num(noncurrent.newerNoncurrentVersions))
          : ""
      }</NoncurrentVersionExpiration>`
    : "";
  const abort = isRecord(rule.abortIncompleteMultipartUpload)
    ? rule.abortIncompleteMultipartUpload
    : undefined;
  const abortXml = abort
    ? `<AbortIncompleteMultipartUpload>${el("DaysAfterInitiation", num(abort.daysAfterInitiation))}</AbortIncompleteMultipartUpload>`
    : "";
  return `<Rule>${expirationXml}${el("ID", text(rule.id) ?? `rule-${index + 1}`)}${prefix}${
    filter ? `<Filter>${filterInner}</Filter>` : ""
  }${el("Status", text(rule.status) ?? "Enabled")}${transitions}${noncurrentTransitions}${noncurrentXml}${abortXml}</Rule>`;
}

/** GetBucketLifecycleConfiguration's document, or S3's 404 when the bucket has none. */
export function lifecycleXml(bucket: string, rules: LifecycleRuleInput[] | undefined): string {
  if (!rules || rules.length === 0) {
    throw new S3Error("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404, {
      BucketName: bucket,
    });
  }
  return xml("LifecycleConfiguration", rules.map(lifecycleRuleXml).join(""));
}

/**
 * GetBucketEncryption's document: SSE-S3 (AES256) unless the bucket declares otherwise; every bucket has default
 * encryption since January 2023. https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
 */
export function encryptionXml(encryption: BucketEncryption | undefined): string {
  const algorithm = encryption?.algorithm ?? "AES256";
  return xml(
    "ServerSideEncryptionConfiguration",
    `<Rule><ApplyServerSideEncryptionByDefault>${el("SSEAlgorithm", algorithm)}${
      encryption?.kmsKeyId ? el("KMSMasterKeyID", encryption.kmsKeyId) : ""
    }</ApplyServerSideEncryptionByDefault>${el("BucketKeyEnabled", encryption?.bucketKeyEnabled === true)}</Rule>`,
  );
}

/** GetPublicAccessBlock's document, or S3's 404 when the bucket has none. */
export function publicAccessBlockXml(bucket: string, block: Record<string, unknown> | undefined): string {
  if (!block) {
    throw new S3Error(
      "NoSuchPublicAccessBlockConfiguration",
      "The public access block configuration was not found",
      404,
      { BucketName: bucket },
    );
  }
  const flag = (name: string) => el(name.charAt(0).toUpperCase() + name.slice(1), block[name] === true);
  return xml(
    "PublicAccessBlockConfiguration",
    ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"].map(flag).join(""),
  );
}

/** GetBucketPolicy's body (the policy JSON itself), or S3's 404 when the bucket has none. */
export function policyText(bucket: string, policy: unknown): string {
  if (policy === undefined || policy === null) {
    throw new S3Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, { BucketName: bucket });
  }
  return typeof policy === "string" ? policy : JSON.stringify(policy);
}

/** GetBucketOwnershipControls' document, or S3's 404. */
export function ownershipXml(bucket: string, ownership: string | undefined): string {
  if (!ownership) {
    throw new S3Error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", 404, {
      BucketName: bucket,
    });
  }
  return xml("OwnershipControls", `<Rule>${el("ObjectOwnership", ownership)}</Rule>`);
}

/** GetBucketTagging's document, or S3's 404 when the bucket has no tags. */
export function bucketTaggingXml(tags: Record<string, string> | undefined): string {
  const entries = Object.entries(tags ?? {});
  if (entries.length === 0) throw new S3Error("NoSuchTagSet", "The TagSet does not exist", 404);
  return xml("Tagging", `<TagSet>${entries.map(([key, value]) => tagXml(key, value)).join("")}</TagSet>`);
}

/** GetBucketAcl's document: the owner has full control (ACLs are recorded, not enforced, locally). */
export function aclXml(ownerId: string): string {
  return xml(
    "AccessControlPolicy",
    `<Owner>${el("ID", ownerId)}</Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${el(
      "ID",
      ownerId,
    )}</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>`,
  );
}

// ---------------------------------------------------------------- documents S3 accepts

/**
 * The event types S3 notifications support (`s3:ObjectCreated:*` and friends).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
 */
const EVENT_TYPE =
  /^s3:(ObjectCreated:(\*|Put|Post|Copy|CompleteMultipartUpload)|ObjectRemoved:(\*|Delete|DeleteMarkerCreated)|ObjectRestore:(\*|Post|Completed|Delete)|ReducedRedundancyLostObject|Replication:(\*|OperationFailedReplication|OperationMissedThreshold|OperationReplicatedAfterThreshold|OperationNotTracked)|LifecycleExpiration:(\*|Delete|DeleteMarkerCreated)|LifecycleTransition|IntelligentTiering|ObjectTagging:(\*|Put|Delete)|ObjectAcl:Put|TestEvent)$/;

/**
 * Parses PutBucketNotificationConfiguration's document into the bucket's notification configuration,
 * refusing what S3 refuses: an unknown event type, a filter rule other than one prefix and one suffix.
 */
export function parseNotificationXml(document: string): NotificationConfig {
  if (!/<NotificationConfiguration[\s>/]/.test(document)) {
    throw malformedXml();
  }
  const targets: NotificationTarget[] = [];
  const read = (element: string, arnElement: string, kind: NotificationTarget["kind"]): void => {
    for (const [index, part] of xmlElements(document, element).entries()) {
      const arn = xmlText(part, arnElement);
      if (!arn) throw invalidArgument(`${arnElement} is required in ${element}`, arnElement, "");
      const events = xmlElements(part, "Event").map((event) => event.trim());
      if (events.length === 0) throw invalidArgument("At least one event must be specified", "Event", "");
      for (const event of events) {
        if (!EVENT_TYPE.test(event)) {
          throw invalidArgument("The event is not supported for notifications", "Event", event);
        }
      }
      let filterPrefix: string | undefined;
      let filterSuffix: string | undefined;
      for (const rule of xmlElements(part, "FilterRule")) {
        const name = (xmlText(rule, "Name") ?? "").toLowerCase();
        const value = xmlText(rule, "Value") ?? "";
        if (name === "prefix" && filterPrefix === undefined) filterPrefix = value;
        else if (name === "suffix" && filterSuffix === undefined) filterSuffix = value;
        else
          throw invalidArgument(
            name === "prefix" || name === "suffix"
              ? "Cannot specify more than one prefix rule in a filter."
              : "filter rule name must be either prefix or suffix",
            "FilterRule.Name",
            xmlText(rule, "Name") ?? "",
          );
      }
      const id =
        xmlText(part, "Id") ||
        createHash("sha1").update(`${kind}:${arn}:${index}`).digest("base64").slice(0, 27);
      targets.push({
        kind,
        id,
        arn,
        events,
        ...(filterPrefix ? { filterPrefix } : {}),
        ...(filterSuffix ? { filterSuffix } : {}),
      });
    }
  };
  read("TopicConfiguration", "Topic", "topic");
  read("QueueConfiguration", "Queue", "queue");
  read("CloudFunctionConfiguration", "CloudFunction", "lambda");
  const ids = targets.map((target) => target.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) throw invalidArgument("Configuration IDs must be unique", "Id", duplicate);
  return { targets, eventbridge: xmlElements(document, "EventBridgeConfiguration").length > 0 };
}
