import { webSocketAuthorizerEvent } from "@switchyard/testing";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  createTokenVerifier,
  MAX_TOKEN_LENGTH,
  TokenRejectedError,
  type TokenVerifier,
} from "../../src/adapters/jwt";

// A table of forged tokens, each refused in both verification modes (HS256 secret and an issuer's JWKS), and the
// HS256 table once more through the $connect authorizer handler itself (401, the token never logged).

const TEST = vi.hoisted(() => {
  const values = {
    secret: "forged-tokens-secret-long-enough-for-hs256!",
    issuer: "https://auth.switchyard.test",
    audience: "switchyard-web",
  };
  Object.assign(process.env, {
    AUTH_MODE: "hs256",
    JWT_SECRET: values.secret,
    JWT_ISSUER: values.issuer,
    JWT_AUDIENCE: values.audience,
  });
  return values;
});
const { handler } = await import("../../src/handlers/authorizer");

type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
const JWKS_URL = "https://issuer.switchyard.test/.well-known/jwks.json";
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const parts = (token: string) => token.split(".") as [string, string, string];

interface Mode {
  name: "HS256" | "JWKS";
  alg: string;
  /** Signs with the key the verifier trusts. */
  key: () => Uint8Array | Key;
  verify: TokenVerifier;
}

let attacker: { privateKey: Key; jwk: JWK };
const modes: Record<"HS256" | "JWKS", Mode> = {} as Record<"HS256" | "JWKS", Mode>;
let publicPem = "";

beforeAll(async () => {
  const trusted = await generateKeyPair("RS256", { extractable: true });
  const evil = await generateKeyPair("RS256", { extractable: true });
  attacker = { privateKey: evil.privateKey, jwk: await exportJWK(evil.publicKey) };
  publicPem = await exportSPKI(trusted.publicKey);
  const jwk = { ...(await exportJWK(trusted.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const fetchJwks = vi.fn(async (url: string | URL) => {
    // Only the configured JWKS is ever fetched: a `jku` or `x5u` in a token must not make the verifier go elsewhere.
    if (String(url) !== JWKS_URL) throw new Error(`fetched ${String(url)}`);
    return new Response(JSON.stringify({ keys: [jwk] }), { headers: { "content-type": "application/json" } });
  });
  const common = { issuer: TEST.issuer, audience: TEST.audience };
  modes.HS256 = {
    name: "HS256",
    alg: "HS256",
    key: () => new TextEncoder().encode(TEST.secret),
    verify: createTokenVerifier({ mode: "hs256", secret: TEST.secret, ...common }),
  };
  modes.JWKS = {
    name: "JWKS",
    alg: "RS256",
    key: () => trusted.privateKey,
    verify: createTokenVerifier({
      mode: "jwks",
      jwksUrl: JWKS_URL,
      ...common,
      fetch: fetchJwks as typeof fetch,
    }),
  };
});

interface Claims {
  sub?: string | null;
  iss?: string;
  aud?: string | string[];
  exp?: number | null;
  nbf?: number;
  extra?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

async function signed(mode: Mode, claims: Claims = {}, key: Uint8Array | Key = mode.key(), alg = mode.alg) {
  const jwt = new SignJWT(claims.extra ?? {}).setProtectedHeader({ alg, kid: "k1", ...claims.header });
  if (claims.sub !== null) jwt.setSubject(claims.sub ?? "user-1");
  jwt.setIssuer(claims.iss ?? TEST.issuer).setAudience(claims.aud ?? TEST.audience);
  if (claims.exp !== null) jwt.setExpirationTime(claims.exp ?? now() + 300);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(key);
}

/** Every forgery: [what it is, how to make it]. */
const forgeries: Array<[string, (mode: Mode) => Promise<string>]> = [
  ["an empty token", async () => ""],
  ["garbage", async () => "abc"],
  ["three dots of garbage", async () => "a.b.c"],
  [
    "alg none",
    async () =>
      new UnsecuredJWT({ sub: "user-1" })
        .setIssuer(TEST.issuer)
        .setAudience(TEST.audience)
        .setExpirationTime("5m")
        .encode(),
  ],
  [
    "a valid token re-labelled alg none, signature dropped",
    async (mode) => {
      const [, payload] = parts(await signed(mode));
      return `${b64({ alg: "none" })}.${payload}.`;
    },
  ],
  [
    "a valid token re-labelled with another algorithm",
    async (mode) => {
      const [, payload, signature] = parts(await signed(mode));
      return `${b64({ alg: mode.alg === "HS256" ? "HS512" : "PS256", kid: "k1" })}.${payload}.${signature}`;
    },
  ],
  [
    "HS256 signed with the issuer's public key (algorithm confusion)",
    async (mode) => signed(mode, {}, new TextEncoder().encode(publicPem), "HS256"),
  ],
  ["RS256 signed by an attacker's key", async (mode) => signed(mode, {}, attacker.privateKey, "RS256")],
  [
    "signed with another secret",
    async (mode) => signed(mode, {}, new TextEncoder().encode("x".repeat(48)), "HS256"),
  ],
  ["expired a minute ago", async (mode) => signed(mode, { exp: now() - 60 })],
  ["without exp", async (mode) => signed(mode, { exp: null })],
  ["not valid before ten minutes from now", async (mode) => signed(mode, { nbf: now() + 600 })],
  ["from another issuer", async (mode) => signed(mode, { iss: "https://evil.test" })],
  ["for another audience", async (mode) => signed(mode, { aud: "other-app" })],
  ["for a list of audiences without ours", async (mode) => signed(mode, { aud: ["a", "b"] })],
  ["without sub", async (mode) => signed(mode, { sub: null })],
  ["with an empty sub", async (mode) => signed(mode, { sub: "" })],
  ["with a 300-character sub", async (mode) => signed(mode, { sub: "u".repeat(300) })],
  [
    "with its payload edited (another user), signature kept",
    async (mode) => {
      const [header, , signature] = parts(await signed(mode));
      const payload = b64({ sub: "admin", iss: TEST.issuer, aud: TEST.audience, exp: now() + 300 });
      return `${header}.${payload}.${signature}`;
    },
  ],
  [
    "with its signature cut short",
    async (mode) => {
      const token = await signed(mode);
      return token.slice(0, -10);
    },
  ],
  [
    "without its signature",
    async (mode) => {
      const [header, payload] = parts(await signed(mode));
      return `${header}.${payload}.`;
    },
  ],
  [
    "oversized (well beyond any real token)",
    async (mode) => signed(mode, { extra: { padding: "p".repeat(MAX_TOKEN_LENGTH) } }),
  ],
  [
    "with a jku naming the attacker's key set",
    async (mode) =>
      signed(mode, { header: { jku: "https://evil.test/jwks.json" } }, attacker.privateKey, "RS256"),
  ],
  [
    "with the attacker's public key embedded (jwk header)",
    async (mode) => signed(mode, { header: { jwk: attacker.jwk } }, attacker.privateKey, "RS256"),
  ],
  [
    "with an x5u naming the attacker's certificate",
    async (mode) =>
      signed(mode, { header: { x5u: "https://evil.test/cert.pem" } }, attacker.privateKey, "RS256"),
  ],
  [
    "with a kid walking the file system",
    async (mode) =>
      signed(mode, { header: { kid: "../../../../dev/null" } }, new TextEncoder().encode("\n"), "HS256"),
  ],
  ["with a numeric sub", async (mode) => signed(mode, { sub: null, extra: { sub: 42 } })],
];

describe.each(["HS256", "JWKS"] as const)("forged tokens are refused (%s mode)", (modeName) => {
  it("accepts the genuine token (the table's control)", async () => {
    const mode = modes[modeName];
    await expect(mode.verify(await signed(mode))).resolves.toEqual({ userId: "user-1" });
  });

  it.each(forgeries)("refuses a token %s", async (_what, forge) => {
    // Prepare
    const mode = modes[modeName];
    const token = await forge(mode);

    // Act
    const outcome = mode.verify(token);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(TokenRejectedError);
  });
});

describe("forged tokens at the $connect authorizer (HS256)", () => {
  it.each(forgeries)("answers Unauthorized to a token %s, and never logs it", async (_what, forge) => {
    // Prepare
    const written = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const token = await forge(modes.HS256);

    // Act
    const outcome = handler(webSocketAuthorizerEvent({ token }));

    // Assess
    await expect(outcome).rejects.toThrow(/^Unauthorized$/);
    const output = written.mock.calls.map((call) => String(call[0])).join("");
    written.mockRestore();
    if (token.length > 3) expect(output).not.toContain(token);
    // The payload part alone would leak claims; a part of a few characters ("b" of "a.b.c") proves nothing.
    const payload = token.includes(".") ? parts(token)[1] : "";
    if (payload.length >= 8) expect(output).not.toContain(payload);
  });
});
