import { componentArgsMessage } from "@switchyard/infra-kit/errors";

/**
 * Base class of every error this service throws: a component arg it cannot honour. Free of Pulumi imports (the kit's `errors` module has none either), so handlers may bundle it.
 */
export class S3PipelineError extends Error {
  override name = "S3PipelineError";
}

/** `S3EventPipeline` was given args it cannot honour; the message names the component, instance and arg. */
export class S3PipelineArgsError extends S3PipelineError {
  override name = "S3PipelineArgsError";
  constructor(
    readonly component: string,
    readonly instance: string,
    readonly arg: string,
    detail: string,
  ) {
    super(componentArgsMessage(component, instance, arg, detail));
  }
}
