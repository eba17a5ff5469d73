/**
 * Read-ahead over a list of tensors taken in order: while tensor i is merged, the inputs of
 * the tensors after it are already being read, as many as fit in a byte budget together with
 * tensor i's own. One tensor ahead was not enough to keep reads flowing: inputs come in
 * coalesced blocks, so the next tensor is often already in memory and the network then sat
 * idle for the whole merge of this one (and the latency of every new request showed in full).
 */
export class ReadAhead<T> {
  /** Reads issued and not yet taken, for tensors taken, taken + 1, ... */
  private readonly issued: Promise<T>[] = [];
  private taken = 0;

  constructor(
    private readonly count: number,
    /** Starts reading tensor i's inputs. */
    private readonly read: (i: number) => Promise<T>,
    /** Input bytes of tensor i. */
    private readonly bytesOf: (i: number) => number,
    /** Input bytes that may be held at once: the tensor being merged and those read ahead. */
    private readonly budget: number,
    /** Whether tensor i's inputs have room now (checked just before its read would start). */
    private readonly room: (i: number) => boolean = () => true,
  ) {}

  /**
   * The inputs of the next tensor (in order), after starting the reads of the tensors that
   * follow it within the budget. `started` says whether any read was started just now.
   */
  next(): { inputs: Promise<T>; started: boolean } {
    const i = this.taken++;
    if (i >= this.count) throw new RangeError('read-ahead: no tensor left');
    if (this.issued.length === 0) this.issue(i);
    const inputs = this.issued.shift()!;
    let bytes = 0;
    for (let j = i; j < i + 1 + this.issued.length; j++) bytes += this.bytesOf(j);
    let started = false;
    for (let j = i + 1 + this.issued.length; j < this.count; j++) {
      bytes += this.bytesOf(j);
      if (bytes > this.budget || !this.room(j)) break;
      this.issue(j);
      started = true;
    }
    return { inputs, started };
  }

  private issue(i: number): void {
    const p = this.read(i);
    p.catch(() => undefined); // taken and awaited later; this only silences an early rejection
    this.issued.push(p);
  }
}
