import { LocalServiceError } from "../../types";

/**
 * S3's errors: code, message, HTTP status and the extra elements S3 puts in its error document (Key,
 * BucketName, ...), plus the headers some errors carry (a delete marker's version). The REST-XML codec
 * (rest-xml.ts) writes them.
 */

/** An S3 error: code, message, status and the extra elements S3 puts in its error document (Key, BucketName...). */
export class S3Error extends LocalServiceError {
  constructor(
    code: string,
    message: string,
    status = 400,
    readonly details: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error("NoSuchBucket", "The specified bucket does not exist", 404, { BucketName: bucket });

export const noSuchKey = (key: string, headers: Record<string, string> = {}): S3Error =>
  new S3Error("NoSuchKey", "The specified key does not exist.", 404, { Key: key }, headers);

export const malformedXml = (): S3Error =>
  new S3Error(
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema",
  );

export const methodNotAllowed = (headers: Record<string, string> = {}): S3Error =>
  new S3Error(
    "MethodNotAllowed",
    "The specified method is not allowed against this resource.",
    405,
    {},
    headers,
  );

export const preconditionFailed = (condition?: string): S3Error =>
  new S3Error(
    "PreconditionFailed",
    "At least one of the pre-conditions you specified did not hold",
    412,
    condition !== undefined ? { Condition: condition } : {},
  );

export const invalidArgument = (message: string, name?: string, value?: string): S3Error =>
  new S3Error("InvalidArgument", message, 400, {
    ...(name !== undefined ? { ArgumentName: name } : {}),
    ...(value !== undefined ? { ArgumentValue: value } : {}),
  });

/** S3's answer for an operation the local S3 does not serve: 501 NotImplemented naming it. */
export function s3NotEmulated(operation: string): S3Error {
  return new S3Error("NotImplemented", `the local cloud does not emulate s3:${operation}`, 501);
}
