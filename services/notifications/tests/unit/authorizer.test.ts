import { webSocketAuthorizerEvent } from "@switchyard/testing";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenVerifier, TokenRejectedError } from "../../src/adapters/jwt";

const TEST = vi.hoisted(() => {
  const values = {
    secret: "test-secret-that-is-long-enough-for-hs256!!",
    issuer: "https://auth.switchyard.test",
    audience: "switchyard-web",
  };
  Object.assign(process.env, {
    AUTH_MODE: "hs256",
    JWT_SECRET: values.secret,
    JWT_ISSUER: values.issuer,
    JWT_AUDIENCE: values.audience,
    POWERTOOLS_DEV: "false",
  });
  return values;
});

const { handler } = await import("../../src/handlers/authorizer");

/** A private key as jose hands it out (no DOM lib here). */
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

const key = new TextEncoder().encode(TEST.secret);
const now = () => Math.floor(Date.now() / 1000);

interface TokenOptions {
  sub?: string | null;
  iss?: string;
  aud?: string;
  exp?: number | null;
  nbf?: number;
  secret?: Uint8Array;
}

async function hs256(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" });
  if (options.sub !== null) jwt.setSubject(options.sub ?? "user-1");
  jwt.setIssuer(options.iss ?? TEST.issuer).setAudience(options.aud ?? TEST.audience);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now() + 300);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(options.secret ?? key);
}

describe("authorizer handler (HS256)", () => {
  const logged = vi.spyOn(process.stdout, "write");
  afterEach(() => logged.mockClear());

  it.each([
    ["in the token query-string parameter", async () => ({ token: await hs256() })],
    [
      "in Sec-WebSocket-Protocol after switchyard.v1",
      async () => ({ protocolHeader: `switchyard.v1, ${await hs256()}` }),
    ],
  ])("allows a valid token %s on exactly this $connect with userId in the context", async (_, input) => {
    // Prepare
    const event = webSocketAuthorizerEvent(await input());

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({
      principalId: "user-1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
      },
      context: { userId: "user-1" },
    });
  });

  it.each<[string, () => Promise<{ token?: string; protocolHeader?: string }>]>([
    ["no token at all", async () => ({})],
    ["an empty token", async () => ({ token: "" })],
    ["a malformed token", async () => ({ token: "not.a.jwt" })],
    ["garbage", async () => ({ token: "abc" })],
    [
      "alg none",
      async () => ({
        token: new UnsecuredJWT({ sub: "user-1" })
          .setIssuer(TEST.issuer)
          .setAudience(TEST.audience)
          .setExpirationTime("5m")
          .encode(),
      }),
    ],
    ["an expired token", async () => ({ token: await hs256({ exp: now() - 60 }) })],
    ["a token without exp", async () => ({ token: await hs256({ exp: null }) })],
    ["a token not valid before a future time", async () => ({ token: await hs256({ nbf: now() + 600 }) })],
    ["another issuer", async () => ({ token: await hs256({ iss: "https://evil.test" }) })],
    ["another audience", async () => ({ token: await hs256({ aud: "other-app" }) })],
    [
      "another secret",
      async () => ({ token: await hs256({ secret: new TextEncoder().encode("x".repeat(48)) }) }),
    ],
    ["no subject", async () => ({ token: await hs256({ sub: null }) })],
    ["a protocol header without switchyard.v1", async () => ({ protocolHeader: await hs256() })],
  ])("refuses %s with Unauthorized and never logs the token", async (_, input) => {
    // Prepare
    const given = await input();
    const event = webSocketAuthorizerEvent(given);

    // Act
    const outcome = handler(event);

    // Assess
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    const output = logged.mock.calls.map((call) => String(call[0])).join("");
    expect(output).toContain("connection refused");
    const token = given.token ?? given.protocolHeader?.split(", ").pop();
    if (token && token.length > 3) expect(output).not.toContain(token);
  });
});

describe("createTokenVerifier (JWKS, served locally by a stubbed fetch)", () => {
  const jwksUrl = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test/.well-known/jwks.json";
  const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
  let privateKey: SigningKey;
  let otherKey: SigningKey;
  let fetchStub: ReturnType<typeof vi.fn>;
  let verify: ReturnType<typeof createTokenVerifier>;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair("RS256")).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    fetchStub = vi.fn(async (url: string | URL) => {
      expect(String(url)).toBe(jwksUrl);
      return new Response(JSON.stringify({ keys: [jwk] }), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    });
    verify = createTokenVerifier({
      mode: "jwks",
      jwksUrl,
      issuer,
      audience: "client-1",
      fetch: fetchStub as unknown as typeof fetch,
    });
  });

  const rs256 = (signer: () => SigningKey, claims: { aud?: string; exp?: number } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setSubject("cognito-user")
      .setIssuer(issuer)
      .setAudience(claims.aud ?? "client-1")
      .setExpirationTime(claims.exp ?? now() + 300)
      .sign(signer());

  it("accepts a token signed by a key of the issuer's JWKS", async () => {
    // Act
    const result = await verify(await rs256(() => privateKey));

    // Assess
    expect(result).toEqual({ userId: "cognito-user" });
    expect(fetchStub).toHaveBeenCalled();
  });

  it.each([
    ["signed by a key not in the JWKS", () => rs256(() => otherKey)],
    ["for another audience", () => rs256(() => privateKey, { aud: "client-2" })],
    ["expired", () => rs256(() => privateKey, { exp: now() - 60 })],
    ["HS256-signed (algorithm confusion)", () => hs256({ iss: issuer, aud: "client-1" })],
  ])("rejects a token %s", async (_, token) => {
    // Act
    const outcome = verify(await token());

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(TokenRejectedError);
  });
});
