import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../src/errors";
import { verifierConfigOf } from "../src/ingress/jwt";

const common = { JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "app" };

describe("verifierConfigOf (the $connect and ingress authorizers' token settings)", () => {
  it("takes the secret in hs256 mode and the JWKS URL in jwks mode", () => {
    expect(verifierConfigOf({ ...common, AUTH_MODE: "hs256", JWT_SECRET: "s3cret" })).toEqual({
      mode: "hs256",
      secret: "s3cret",
      issuer: "https://issuer.example",
      audience: "app",
    });
    expect(
      verifierConfigOf({ ...common, AUTH_MODE: "jwks", JWKS_URL: "https://issuer.example/jwks.json" }),
    ).toEqual({
      mode: "jwks",
      jwksUrl: "https://issuer.example/jwks.json",
      issuer: "https://issuer.example",
      audience: "app",
    });
  });

  it.each([
    ["hs256", "JWT_SECRET is required when AUTH_MODE is hs256"],
    ["jwks", "JWKS_URL is required when AUTH_MODE is jwks"],
  ] as const)("refuses %s mode without what it needs, naming the variable", (mode, problem) => {
    const act = () => verifierConfigOf({ ...common, AUTH_MODE: mode });
    expect(act).toThrow(EnvironmentError);
    expect(act).toThrow(problem);
  });
});
