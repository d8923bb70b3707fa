import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Who signed a request. Every SigV4 request names its access key id in its credential scope; the local cloud
 * maps the ids it handed out (each function's runtime, each `sts:AssumeRole` session) to a role session, and
 * treats any other id as the account's administrator (the user at the terminal), so scripts signed with any
 * credentials keep working.
 */
export interface Principal {
  kind: "administrator" | "role";
  /** The ARN policies see as `aws:PrincipalArn`: the role's ARN, or the administrator's. */
  arn: string;
  /** The ARN AWS names in its messages and `GetCallerIdentity`: `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  sessionArn: string;
  /** `GetCallerIdentity`'s UserId: `<role id>:<session>` for a role session. */
  userId: string;
  accessKeyId: string;
  /** The role's name (role sessions). */
  roleName?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const SCOPE_KEY = /Credential=([^/\s,]+)\//;

/** The access key id a request was signed with (Authorization header or presigned URL), if any. */
export function accessKeyIdOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === "string") {
    const match = SCOPE_KEY.exec(auth);
    if (match) return match[1];
  }
  const credential = new URL(req.url ?? "/", "http://local").searchParams.get("X-Amz-Credential");
  return credential ? credential.split("/")[0] : undefined;
}

/** The name of a role from its ARN (`arn:aws:iam::<acct>:role/<path/>name`). */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(":").slice(5).join(":");
  return resource.slice(resource.lastIndexOf("/") + 1);
}

/** A role's unique id as IAM shows it (`AROA` + 17 characters), derived from its ARN so it is stable. */
export function roleIdOf(roleArn: string): string {
  return `AROA${createHash("sha256").update(roleArn).digest("hex").slice(0, 17).toUpperCase()}`;
}

/** Keeps the credentials the local cloud handed out and resolves a request's principal. */
export class Principals {
  private readonly byKey = new Map<string, Principal>();
  readonly administrator: Principal;

  constructor(private readonly accountId: string) {
    const arn = `arn:aws:iam::${accountId}:root`;
    this.administrator = {
      kind: "administrator",
      arn,
      sessionArn: arn,
      userId: accountId,
      accessKeyId: "",
    };
  }

  /** The principal of an access key id: a role session the cloud issued, else the administrator. */
  resolve(accessKeyId: string | undefined): Principal {
    const found = accessKeyId ? this.byKey.get(accessKeyId) : undefined;
    return found ?? { ...this.administrator, accessKeyId: accessKeyId ?? "" };
  }

  /**
   * The credentials of a function's runtime: deterministic per role and session, so a function's key id is
   * the same on every run (`ASIA` + 16 characters, the shape of temporary credentials).
   */
  functionCredentials(roleArn: string, functionName: string): Credentials {
    const accessKeyId = `ASIA${digest(`${roleArn}\n${functionName}`, 16)}`;
    this.register(accessKeyId, roleArn, functionName);
    return {
      accessKeyId,
      secretAccessKey: digest(`secret\n${accessKeyId}`, 40),
      sessionToken: `local-session-${digest(`token\n${accessKeyId}`, 32)}`,
      expiration: new Date(Date.now() + 12 * 3600_000),
    };
  }

  /** New credentials for a role session (`sts:AssumeRole`). */
  assumeRole(roleArn: string, sessionName: string, durationSeconds: number): Credentials {
    const accessKeyId = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    this.register(accessKeyId, roleArn, sessionName);
    return {
      accessKeyId,
      secretAccessKey: randomBytes(20).toString("hex"),
      sessionToken: `local-session-${randomBytes(16).toString("hex")}`,
      expiration: new Date(Date.now() + durationSeconds * 1000),
    };
  }

  private register(accessKeyId: string, roleArn: string, sessionName: string): void {
    const roleName = roleNameOf(roleArn);
    this.byKey.set(accessKeyId, {
      kind: "role",
      arn: roleArn,
      sessionArn: `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleIdOf(roleArn)}:${sessionName}`,
      accessKeyId,
      roleName,
    });
  }
}

function digest(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length).toUpperCase();
}
