import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ComponentArgsError, link, linkProblems, NodeFunction } from "../src/index";
import { fixtureHandler, statementsOf } from "./helpers";

// Shapes as a service's handler-safe env module declares them (the values are zod schemas there; the kit reads keys).
const TABLE_ENV = { TABLE_NAME: "zod schema" };
const TTL_ENV = { TTL_SECONDS: "zod schema" };
const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/things";

let mocks: PulumiMocks;
beforeAll(async () => {
  mocks = await setupPulumiMocks();
});

describe("link", () => {
  it("sets each link's variables and applies its exact grant to the function", async () => {
    // Act
    new NodeFunction("linked", {
      entry: fixtureHandler,
      reads: { ...TABLE_ENV, ...TTL_ENV },
      links: [
        link(TABLE_ENV, { TABLE_NAME: "things" }, (fn) =>
          fn.grant({ actions: ["dynamodb:PutItem"], resources: [TABLE_ARN] }),
        ),
        link(TTL_ENV, { TTL_SECONDS: "60" }),
      ],
    });

    // Assess
    const fn = await mocks.findResource("aws:lambda/function:Function", "linked-function");
    const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(variables).toMatchObject({ TABLE_NAME: "things", TTL_SECONDS: "60" });
    const policy = await mocks.findResource("aws:iam/rolePolicy:RolePolicy", "linked-policy");
    expect(statementsOf(policy)).toContainEqual(
      expect.objectContaining({ Effect: "Allow", Action: "dynamodb:PutItem", Resource: TABLE_ARN }),
    );
  });

  it.each([
    [
      "a variable the handler reads and no link sets",
      { reads: { ...TABLE_ENV, ...TTL_ENV }, links: [link(TABLE_ENV, { TABLE_NAME: "t" })] },
      "links do not match the handler: no link sets TTL_SECONDS, which the handler reads",
    ],
    [
      "a variable no handler reads",
      {
        reads: TABLE_ENV,
        links: [link(TABLE_ENV, { TABLE_NAME: "t" }), link(TTL_ENV, { TTL_SECONDS: "1" })],
      },
      "links do not match the handler: links set TTL_SECONDS, which the handler does not read",
    ],
    [
      "the same variable from two links",
      { links: [link(TABLE_ENV, { TABLE_NAME: "a" }), link(TABLE_ENV, { TABLE_NAME: "b" })] },
      "links do not match the handler: links[1] sets TABLE_NAME again",
    ],
    [
      "a link overriding environment",
      { environment: { TABLE_NAME: "a" }, links: [link(TABLE_ENV, { TABLE_NAME: "b" })] },
      "links must not set TABLE_NAME, which environment already sets",
    ],
  ])("refuses %s, naming the function", (_case, args, message) => {
    const act = () => new NodeFunction("badlink", { entry: fixtureHandler, ...args });
    expect(act).toThrow(ComponentArgsError);
    expect(act).toThrow(`switchyard:kit:NodeFunction "badlink": ${message}`);
  });

  it("finds a value missing or undeclared in a link built from untyped code", () => {
    const broken = { env: TABLE_ENV, values: { TABLE: "x" }, grant: undefined } as never;
    expect(linkProblems([broken], undefined)).toEqual([
      "links[0] has no value for TABLE_NAME",
      "links[0] gives TABLE, which its env does not declare",
    ]);
  });
});
