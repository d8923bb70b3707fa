/**
 * What EventBridge sends a target: the whole event, a constant `Input`, the JSON an `InputPath` selects, or an
 * `InputTransformer` template filled from `InputPathsMap`.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */

/** A target's input configuration (the Pulumi `aws:cloudwatch/eventTarget` inputs, normalised). */
export interface TargetInputConfig {
  input?: string;
  inputPath?: string;
  inputTransformer?: { inputPathsMap: Record<string, string>; inputTemplate: string };
}

/** What the transformer knows besides the event (`<aws.events.rule-arn>` and friends). */
export interface TransformContext {
  ruleArn: string;
  ruleName: string;
  /** When EventBridge received the event (ms). */
  ingestionTime: number;
}

type Segment = string | number;

/**
 * Parses the JSONPath subset EventBridge input paths use: `$`, `$.a.b`, `$.a['b-c']`, `$.a["b"]`, `$.list[0]`.
 * @throws Error naming the path when it is not of that form
 */
export function parseJsonPath(path: string): Segment[] {
  if (!path.startsWith("$")) throw new Error(`JSONPath ${JSON.stringify(path)} must start with "$"`);
  const segments: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const dotted = /^\.([^.[\]]+)/.exec(rest);
    const indexed = dotted ? null : /^\[(\d+)\]/.exec(rest);
    const quoted = dotted || indexed ? null : /^\[(['"])(.*?)\1\]/.exec(rest);
    if (dotted?.[1] !== undefined) segments.push(dotted[1]);
    else if (indexed?.[1] !== undefined) segments.push(Number(indexed[1]));
    else if (quoted?.[2] !== undefined) segments.push(quoted[2]);
    const consumed = (dotted ?? indexed ?? quoted)?.[0];
    if (consumed === undefined) {
      throw new Error(`JSONPath ${JSON.stringify(path)} is not supported (at ${JSON.stringify(rest)})`);
    }
    rest = rest.slice(consumed.length);
  }
  return segments;
}

/** The value a JSONPath selects in a document; undefined when it selects nothing. */
export function selectJsonPath(document: unknown, path: string): unknown {
  let current: unknown = document;
  for (const segment of parseJsonPath(path)) {
    if (typeof segment === "number") current = Array.isArray(current) ? current[segment] : undefined;
    else if (typeof current === "object" && current !== null && !Array.isArray(current)) {
      current = (current as Record<string, unknown>)[segment];
    } else current = undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function escapeInString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * Fills an input template. Inside a JSON string literal a string value goes in without quotes (escaped) and any
 * other value as its JSON text; outside string literals every value goes in as JSON (strings quoted, missing
 * values `null`). A template that is not JSON-shaped (does not start with `{`, `[` or `"`) gets every value raw.
 * `<aws.events.event>`/`<aws.events.event.json>`, `<aws.events.rule-arn>`, `<aws.events.rule-name>` and
 * `<aws.events.event.ingestion-time>` are predefined. Unknown placeholders stay as they are.
 */
export function fillTemplate(
  template: string,
  inputPathsMap: Record<string, string>,
  event: Record<string, unknown>,
  context: TransformContext,
): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(inputPathsMap)) values.set(name, selectJsonPath(event, path));
  const predefined: Record<string, unknown> = {
    "aws.events.rule-arn": context.ruleArn,
    "aws.events.rule-name": context.ruleName,
    "aws.events.event.ingestion-time": new Date(context.ingestionTime)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z"),
    "aws.events.event": event,
    "aws.events.event.json": event,
  };
  const jsonShaped = /^\s*[[{"]/.test(template);
  let out = "";
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index] ?? "";
    if (char === "<") {
      const close = template.indexOf(">", index + 1);
      const name = close > index ? template.slice(index + 1, close) : "";
      const known = values.has(name) || name in predefined;
      if (known) {
        const value = values.has(name) ? values.get(name) : predefined[name];
        if (!jsonShaped) out += typeof value === "string" ? value : JSON.stringify(value ?? null);
        else if (inString)
          out +=
            typeof value === "string" ? escapeInString(value) : escapeInString(JSON.stringify(value ?? null));
        else out += JSON.stringify(value ?? null);
        index = close;
        continue;
      }
    }
    if (jsonShaped && char === "\\" && inString) {
      out += char + (template[index + 1] ?? "");
      index++;
      continue;
    }
    if (jsonShaped && char === '"') inString = !inString;
    out += char;
  }
  return out;
}

/**
 * The text a target receives for one event: `Input` as given; the JSON of what `InputPath` selects (`null` when it
 * selects nothing); the filled `InputTransformer` template; otherwise the whole event as JSON.
 * @throws Error when a path cannot be parsed (a delivery failure, as AWS would have refused the target)
 */
export function targetInput(
  config: TargetInputConfig,
  event: Record<string, unknown>,
  context: TransformContext,
): string {
  if (config.input !== undefined) return config.input;
  if (config.inputPath !== undefined) return JSON.stringify(selectJsonPath(event, config.inputPath) ?? null);
  if (config.inputTransformer) {
    return fillTemplate(
      config.inputTransformer.inputTemplate,
      config.inputTransformer.inputPathsMap,
      event,
      context,
    );
  }
  return JSON.stringify(event);
}
