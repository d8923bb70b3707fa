import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  MOCK_ACCOUNT_ID,
  type PulumiMocks,
  parseJsonInput,
  type RecordedResource,
} from "@switchyard/testing";
import ts from "typescript";

/** The tiny TypeScript handler NodeFunction bundles in these tests. */
export const fixtureHandler = fileURLToPath(new URL("./fixtures/handler.ts", import.meta.url));

/** An ops topic ARN for queues whose alarms are not under test. */
export const ALARM_TOPIC_ARN = `arn:aws:sns:us-east-1:${MOCK_ACCOUNT_ID}:ops-alarms`;

/** A customer-managed key ARN. */
export const KEY_ARN = `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** One IAM statement as recorded in a policy document. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Service?: string | string[]; AWS?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document recorded as a JSON string input (`policy` unless told). */
export function statementsOf(resource: RecordedResource, input = "policy"): Statement[] {
  const document = parseJsonInput<{ Version: string; Statement: Statement[] }>(
    resource.inputs[input],
    `${resource.name}.${input}`,
  );
  if (document.Version !== "2012-10-17")
    throw new Error(`${resource.name}.${input} has Version ${document.Version}`);
  return document.Statement;
}

/** A string-or-list IAM field as a list. */
export function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The statements granting to an AWS service principal. */
export function serviceStatements(statements: Statement[], service: string): Statement[] {
  return statements.filter(
    (s) =>
      s.Effect === "Allow" &&
      typeof s.Principal === "object" &&
      listOf(s.Principal.Service).includes(service),
  );
}

/** The `aws:SourceArn` each allow statement is pinned to, in statement order. */
export function sourceArnsOf(statements: Statement[]): unknown[] {
  return statements.filter((s) => s.Effect === "Allow").map((s) => s.Condition?.ArnLike?.["aws:SourceArn"]);
}

/** The deny-unless-TLS statement every kit resource policy starts with. */
export function tlsDeny(action: string, resource: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** A JSON string input parsed (redrive policies, event patterns, filter policies). */
export function jsonOf(resource: RecordedResource, input: string): unknown {
  return parseJsonInput<unknown>(resource.inputs[input], `${resource.name}.${input}`);
}

/** The number of resources recorded so far, once every registration in flight has landed. */
export async function mark(mocks: PulumiMocks): Promise<number> {
  await mocks.settle();
  return mocks.resources.length;
}

/**
 * What breaks the kit's ownership rules among the resources recorded since `since`: every provider
 * resource has a parent (bar the ones the test itself created at the top level), and every child's
 * name starts with its parent's name and a hyphen.
 */
export async function ownershipProblems(
  mocks: PulumiMocks,
  since: number,
  topLevel: readonly string[] = [],
): Promise<string[]> {
  await mocks.settle();
  const byUrn = new Map(mocks.resources.map((r) => [r.urn, r]));
  const problems: string[] = [];
  for (const resource of mocks.resources.slice(since)) {
    const parent = resource.parentUrn ? byUrn.get(resource.parentUrn) : undefined;
    if (!parent) {
      if (resource.custom && !topLevel.includes(resource.name)) {
        problems.push(`${resource.type} ${resource.name} has no parent`);
      }
      continue;
    }
    if (!resource.name.startsWith(`${parent.name}-`)) {
      problems.push(`${resource.type} ${resource.name} is not named from its parent ${parent.name}`);
    }
  }
  return problems;
}

/**
 * What is missing from the doc comments of an exported args interface in `src/<file>`: every
 * property needs a doc comment, and every optional one an `@default`.
 */
export function argDocProblems(file: string, interfaceName: string): string[] {
  const path = fileURLToPath(new URL(`../src/${file}`, import.meta.url));
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === interfaceName,
  );
  if (!declaration) return [`${file} declares no interface ${interfaceName}`];
  const problems: string[] = [];
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member)) continue;
    const name = member.name.getText(source);
    const docs = ts.getJSDocCommentsAndTags(member);
    if (docs.length === 0) problems.push(`${name} has no doc comment`);
    const hasDefault = ts.getJSDocTags(member).some((tag) => tag.tagName.text === "default");
    if (member.questionToken && !hasDefault) problems.push(`${name} is optional but has no @default`);
  }
  return problems;
}
