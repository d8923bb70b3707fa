import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { SmsThrottleError } from "../errors";

/** Credentials as SDK v3 clients take them (`credentials: provider`). */
export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumeRoleOptions {
  /** `RoleSessionName`: shows in the other account's CloudTrail as who sent (64 characters at most). */
  sessionName: string;
  /** Session length asked for. @default 3600 (1 h, the role's default maximum) */
  durationSeconds?: number;
  /** Credentials are renewed this long before they expire. @default 300000 (5 min) */
  refreshBeforeMs?: number;
  now?: () => number;
}

/** A failed `AssumeRole`: the deployment (trust policy, grant) is wrong, not the message; classified transient. */
export class AssumeRoleError extends SmsThrottleError {
  override readonly name = "AssumeRoleError";
}

/** A valid `RoleSessionName` (`[\w+=,.@-]{2,64}`) from a lane id. */
export const roleSessionName = (lane: string): string =>
  `switchyard-sms-${lane}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);

/**
 * Credentials of a role in another account, for the provider client of an origination identity that lives there:
 * `sts:AssumeRole` once, the answer kept until `refreshBeforeMs` before it expires, one call at a time (concurrent
 * sends share the pending call). Once per container, like the client it feeds.
 */
export const assumeRoleCredentials = (
  sts: STSClient,
  roleArn: string,
  options: AssumeRoleOptions,
): (() => Promise<RoleCredentials>) => {
  const now = options.now ?? (() => Date.now());
  const refreshBeforeMs = options.refreshBeforeMs ?? 300_000;
  let cached: RoleCredentials | undefined;
  let pending: Promise<RoleCredentials> | undefined;
  const assume = async (): Promise<RoleCredentials> => {
    try {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: options.sessionName,
          DurationSeconds: options.durationSeconds ?? 3600,
        }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new SmsThrottleError("AssumeRole answered without complete credentials");
      }
      cached = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      };
      return cached;
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AssumeRoleError(`could not assume ${roleArn}: ${reason}`, { cause: error });
    } finally {
      pending = undefined;
    }
  };
  return async () => {
    if (cached && cached.expiration.getTime() - refreshBeforeMs > now()) return cached;
    pending ??= assume();
    return pending;
  };
};
