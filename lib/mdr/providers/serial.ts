// One piece of work at a time per key, in this process, in the order asked: the read-modify-writes
// of one NSG rule, one WAF IP set, one network ACL's numbering. Each waits for the one before it,
// whether that ended well or not, rather than losing a race at the provider.
export class Serial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }
}
