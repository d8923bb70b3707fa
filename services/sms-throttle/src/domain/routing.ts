import { compileFilterPolicy } from "@switchyard/routing";
import type { MessageAttributes } from "@switchyard/runtime-kit";

/**
 * The catch-all sender's test for "a country lane received this too": the union of the country lanes' filter
 * policies (`LanePlan.otherLanesPolicy`), evaluated by the same matcher the stack's routing tests and the local
 * cloud's SNS use, on the attributes as SNS delivered them. Attribute scope: a message without attributes
 * matches nothing, exactly as no country lane's subscription received it.
 */
export const otherLanesMatcher = (policy: unknown): ((attributes: MessageAttributes) => boolean) => {
  const matches = compileFilterPolicy(policy, "MessageAttributes");
  return (attributes) =>
    matches(
      Object.fromEntries(
        Object.entries(attributes).map(([name, { dataType, value }]) => [
          name,
          dataType.startsWith("Binary")
            ? { DataType: dataType, BinaryValue: value }
            : { DataType: dataType, StringValue: value },
        ]),
      ),
    );
};
