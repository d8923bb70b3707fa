import { loadConfig } from "./config";
import { createPlatform } from "./platform";

/**
 * The Switchyard root stack. `pulumi up` runs this (Pulumi.yaml `main: infra/`), and so do the
 * offline synth and the tests, under mocks. Config is read inside, so the same module can be run
 * for several stacks in one process. Services are composed here as they land; each receives the
 * platform (config, alarm topic, encryption key) and returns what the stack exports.
 */
export default async function main(): Promise<Record<string, unknown>> {
  const config = loadConfig();
  const platform = createPlatform(config);

  return {
    environment: config.environment,
    alarmTopicArn: platform.alarmTopic.arn,
    dataKeyArn: platform.dataKeyArn ?? null,
  };
}
