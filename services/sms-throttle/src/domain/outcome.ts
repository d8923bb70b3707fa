/** What a provider made of one message. */
export type SendOutcome =
  | { kind: "sent"; messageId?: string }
  /** Retrying cannot help: invalid number, opted out, blocked. Goes to the DLQ with the reason. */
  | { kind: "permanent"; reason: string }
  /** The provider or carrier refused for rate: retry later, never dead-letter. */
  | { kind: "throttled"; reason: string }
  /** Anything else that may pass later (5xx, timeouts, quota, deployment problems). */
  | { kind: "transient"; reason: string };

/**
 * Delay before a re-enqueued copy becomes visible: exponential in the attempt (base x 2^(attempt-1), capped at the
 * SQS maximum of 900 s) with "equal jitter" (half fixed, half random), so a throttling storm spreads out instead of
 * coming back in lockstep. `random` is in [0, 1).
 */
export const backoffSeconds = (
  attempt: number,
  baseSeconds: number,
  random: () => number = Math.random,
  capSeconds = 900,
): number => {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.min(capSeconds, Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2))));
};
