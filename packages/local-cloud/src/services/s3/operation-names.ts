/**
 * The name of every bucket and object operation S3 has, by method and sub-resource, so a request for one the
 * local S3 does not serve is refused by name.
 */

/** Bucket sub-resources: the query parameter and its Get/Put/Delete operation names. */
const BUCKET_SUBRESOURCES: Record<string, { GET?: string; PUT?: string; DELETE?: string; POST?: string }> = {
  accelerate: { GET: "GetBucketAccelerateConfiguration", PUT: "PutBucketAccelerateConfiguration" },
  acl: { GET: "GetBucketAcl", PUT: "PutBucketAcl" },
  analytics: {
    GET: "GetBucketAnalyticsConfiguration",
    PUT: "PutBucketAnalyticsConfiguration",
    DELETE: "DeleteBucketAnalyticsConfiguration",
  },
  cors: { GET: "GetBucketCors", PUT: "PutBucketCors", DELETE: "DeleteBucketCors" },
  encryption: { GET: "GetBucketEncryption", PUT: "PutBucketEncryption", DELETE: "DeleteBucketEncryption" },
  "intelligent-tiering": {
    GET: "GetBucketIntelligentTieringConfiguration",
    PUT: "PutBucketIntelligentTieringConfiguration",
    DELETE: "DeleteBucketIntelligentTieringConfiguration",
  },
  inventory: {
    GET: "GetBucketInventoryConfiguration",
    PUT: "PutBucketInventoryConfiguration",
    DELETE: "DeleteBucketInventoryConfiguration",
  },
  lifecycle: {
    GET: "GetBucketLifecycleConfiguration",
    PUT: "PutBucketLifecycleConfiguration",
    DELETE: "DeleteBucketLifecycle",
  },
  logging: { GET: "GetBucketLogging", PUT: "PutBucketLogging" },
  metadataTable: {
    GET: "GetBucketMetadataTableConfiguration",
    POST: "CreateBucketMetadataTableConfiguration",
  },
  metrics: {
    GET: "GetBucketMetricsConfiguration",
    PUT: "PutBucketMetricsConfiguration",
    DELETE: "DeleteBucketMetricsConfiguration",
  },
  notification: { GET: "GetBucketNotificationConfiguration", PUT: "PutBucketNotificationConfiguration" },
  "object-lock": { GET: "GetObjectLockConfiguration", PUT: "PutObjectLockConfiguration" },
  ownershipControls: {
    GET: "GetBucketOwnershipControls",
    PUT: "PutBucketOwnershipControls",
    DELETE: "DeleteBucketOwnershipControls",
  },
  policy: { GET: "GetBucketPolicy", PUT: "PutBucketPolicy", DELETE: "DeleteBucketPolicy" },
  policyStatus: { GET: "GetBucketPolicyStatus" },
  publicAccessBlock: {
    GET: "GetPublicAccessBlock",
    PUT: "PutPublicAccessBlock",
    DELETE: "DeletePublicAccessBlock",
  },
  replication: {
    GET: "GetBucketReplication",
    PUT: "PutBucketReplication",
    DELETE: "DeleteBucketReplication",
  },
  requestPayment: { GET: "GetBucketRequestPayment", PUT: "PutBucketRequestPayment" },
  session: { GET: "CreateSession" },
  tagging: { GET: "GetBucketTagging", PUT: "PutBucketTagging", DELETE: "DeleteBucketTagging" },
  uploads: { GET: "ListMultipartUploads" },
  versioning: { GET: "GetBucketVersioning", PUT: "PutBucketVersioning" },
  website: { GET: "GetBucketWebsite", PUT: "PutBucketWebsite", DELETE: "DeleteBucketWebsite" },
};

/** Object sub-resources the local S3 does not serve, by query parameter and method. */
const OBJECT_SUBRESOURCES: Record<
  string,
  { GET?: string; HEAD?: string; PUT?: string; POST?: string; DELETE?: string }
> = {
  acl: { GET: "GetObjectAcl", PUT: "PutObjectAcl" },
  attributes: { GET: "GetObjectAttributes" },
  "legal-hold": { GET: "GetObjectLegalHold", PUT: "PutObjectLegalHold" },
  restore: { POST: "RestoreObject" },
  retention: { GET: "GetObjectRetention", PUT: "PutObjectRetention" },
  select: { POST: "SelectObjectContent" },
  torrent: { GET: "GetObjectTorrent" },
  uploadId: { GET: "ListParts", HEAD: "ListParts" },
  renameObject: { PUT: "RenameObject" },
};

/** The S3 operation a request names (by method and sub-resource), for the NotImplemented error. */
export function s3OperationName(method: string, onObject: boolean, query: URLSearchParams): string {
  const table = onObject ? OBJECT_SUBRESOURCES : BUCKET_SUBRESOURCES;
  for (const key of query.keys()) {
    const operation = (table[key] as Record<string, string | undefined> | undefined)?.[method];
    if (operation) {
      // Analytics, inventory, metrics and intelligent-tiering: without an id, GET lists them.
      if (
        method === "GET" &&
        !onObject &&
        !query.has("id") &&
        /Configuration$/.test(operation) &&
        ["analytics", "inventory", "metrics", "intelligent-tiering"].includes(key)
      ) {
        return operation.replace(/^GetBucket(.*)Configuration$/, "ListBucket$1Configurations");
      }
      return operation;
    }
  }
  const rest = [...query.keys()].filter((key) => key !== "x-id" && !key.startsWith("X-Amz-"));
  return `${method} ${onObject ? "<object>" : "<bucket>"}${rest.length > 0 ? `?${rest.join("&")}` : ""}`;
}
