import { loadConfig, loadSecrets } from "./config";
import { createPlatform } from "./platform";
import { createServices } from "./services";

/**
 * The Switchyard root stack. `pulumi up` runs this (Pulumi.yaml `main: infra/`), and so do the
 * offline synth and the tests, under mocks. Config is read inside, so the same module can be run
 * for several stacks in one process. Each service receives the platform (config, alarm topic,
 * encryption key) as plain values and contributes its stack outputs.
 */
export default async function main(): Promise<Record<string, unknown>> {
  const config = loadConfig();
  const secrets = loadSecrets(config);
  const platform = createPlatform(config);
  const services = createServices(platform, secrets);

  return {
    environment: config.environment,
    alarmTopicArn: platform.alarmTopic.arn,
    dataKeyArn: platform.dataKeyArn ?? null,
    ...services,
  };
}
