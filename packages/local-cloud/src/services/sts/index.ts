import type { IncomingMessage, ServerResponse } from "node:http";
import type { Iam } from "../../iam";
import { denialMessage } from "../../iam/denial";
import { roleIdOf } from "../../iam/principals";
import { requestId } from "../../protocol";
import { type LocalContext, LocalServiceError, type ServiceEmulator } from "../../types";
import { parseQueryRequest } from "../../wire/query";
import { sendQueryResult, sendXmlError, xmlText } from "../../wire/xml";

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

/**
 * The local STS (signing name `sts`, query protocol): `GetCallerIdentity` (who signed the request: a function's
 * role session, an assumed role, or the account's administrator) and `AssumeRole` of any of the stack's roles
 * by the administrator, so a developer can act as a function. That is a local convenience: on AWS the role's
 * trust policy names only `lambda.amazonaws.com`, and would have to name the caller too.
 */
export function createSts(ctx: LocalContext, iam: Iam): ServiceEmulator {
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    try {
      const { action, params } = parseQueryRequest(req, body);
      const principal = iam.principalOf(req);
      switch (action) {
        case "GetCallerIdentity":
          // No permission needed: AWS answers GetCallerIdentity even when a policy denies it.
          sendQueryResult(
            res,
            action,
            `<Arn>${xmlText(principal.sessionArn)}</Arn><UserId>${xmlText(principal.userId)}</UserId><Account>${ctx.accountId}</Account>`,
            XMLNS,
          );
          return;
        case "AssumeRole": {
          const roleArn = params.get("RoleArn") ?? "";
          const session = params.get("RoleSessionName") ?? "";
          if (!/^[\w+=,.@-]{2,64}$/.test(session)) {
            throw new LocalServiceError(
              "ValidationError",
              "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match [\\w+=,.@-]*",
            );
          }
          const duration = Number(params.get("DurationSeconds") ?? 3600);
          if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
            throw new LocalServiceError(
              "ValidationError",
              "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
            );
          }
          const allowed = iam.enabled ? iam.canAssume(principal, roleArn) : iam.policies.hasRole(roleArn);
          if (!allowed) {
            const message = denialMessage({
              principal: principal.sessionArn,
              action: "sts:AssumeRole",
              resource: roleArn,
              reason: iam.policies.hasRole(roleArn)
                ? "(the local cloud lets only the administrator assume the stack's roles)"
                : "(no such role in this stack)",
              deniedBy: "resource",
            });
            throw new LocalServiceError("AccessDenied", message, 403);
          }
          const credentials = iam.principals.assumeRole(roleArn, session, duration);
          const assumed = iam.principals.resolve(credentials.accessKeyId);
          sendQueryResult(
            res,
            action,
            `<Credentials><AccessKeyId>${credentials.accessKeyId}</AccessKeyId><SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey><SessionToken>${credentials.sessionToken}</SessionToken><Expiration>${credentials.expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${xmlText(`${roleIdOf(roleArn)}:${session}`)}</AssumedRoleId><Arn>${xmlText(assumed.sessionArn)}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize>`,
            XMLNS,
          );
          return;
        }
        default:
          throw new LocalServiceError(
            "InvalidAction",
            `The local STS serves GetCallerIdentity and AssumeRole only (got ${action || "no Action"}).`,
          );
      }
    } catch (error) {
      const failure =
        error instanceof LocalServiceError
          ? error
          : new LocalServiceError("InternalFailure", String(error), 500);
      sendXmlError(res, failure, { xmlns: XMLNS });
    }
  };
  void requestId;
  return { signingNames: ["sts"], provision: () => undefined, handle };
}
