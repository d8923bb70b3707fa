/**
 * A fair readers-writer lock: ordinary operations run concurrently (shared); a transaction runs alone
 * (exclusive), so no other request sees its intermediate state.
 */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> = [];

  /** Runs `task` alongside other shared tasks, never during an exclusive one. */
  shared<T>(task: () => Promise<T>): Promise<T> {
    return this.run(false, task);
  }

  /** Runs `task` alone. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.run(true, task);
  }

  private async run<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    await this.acquire(exclusive);
    try {
      return await task();
    } finally {
      if (exclusive) this.writer = false;
      else this.readers -= 1;
      this.pump();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ exclusive, grant: resolve }));
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writer = true;
    else this.readers += 1;
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      if (!next || !this.canGrant(next.exclusive)) return;
      this.waiting.shift();
      this.take(next.exclusive);
      next.grant();
    }
  }
}
