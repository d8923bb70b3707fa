import * as pulumi from "@pulumi/pulumi";
import { LateBindingError } from "./errors";

/**
 * Items contributed to a resource input after the resource was declared: statements of a queue's
 * policy (a topic subscribes later), grants of a function's role (a consumer attaches later),
 * environment variables. The input is an Output that resolves once the program has finished its
 * synchronous declarations (the next macrotask after the first item), so every contribution made
 * while the program declares its resources lands in one rendered value. Contributing after that
 * throws, naming the owner, instead of silently being left out.
 */
export class LateList<T> {
  private readonly items: T[] = [];
  private sealed = false;
  private resolve!: (items: T[]) => void;
  readonly output: pulumi.Output<T[]>;

  constructor(
    private readonly owner: string,
    initial: readonly T[] = [],
  ) {
    this.items.push(...initial);
    const promise = new Promise<T[]>((resolve) => {
      this.resolve = resolve;
    });
    // output() also resolves Outputs nested in the items (ARNs in grants and policy sources); the values
    // remain valid Inputs, so the declared element type still holds for every consumer.
    this.output = pulumi.output(promise) as unknown as pulumi.Output<T[]>;
    setImmediate(() => this.seal());
  }

  add(...items: T[]): void {
    if (this.sealed) {
      throw new LateBindingError(
        `${this.owner}: cannot add after the program finished declaring resources; ` +
          "declare subscriptions, consumers and grants in the same synchronous part of the program " +
          "(not inside apply() or after an await).",
      );
    }
    this.items.push(...items);
  }

  get current(): readonly T[] {
    return this.items;
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  private seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    this.resolve([...this.items]);
  }
}
