// Listeners on a per-event path (the NIC model, the wire, interrupt delivery): called for every
// packet or interrupt, so calling them allocates nothing. The list is replaced, not changed in
// place, so a listener may remove itself while they are called; it is walked by index (a Set's
// iterator was an allocation per event), with two fixed parameters (a rest array was another).
export class Listeners<A, B = undefined> {
  private fns: readonly ((a: A, b: B) => void)[] = [];

  get any(): boolean {
    return this.fns.length > 0;
  }

  /** Adds `fn`; the returned function removes it. */
  add(fn: (a: A, b: B) => void): () => void {
    this.fns = [...this.fns, fn];
    return () => {
      this.fns = this.fns.filter((f) => f !== fn);
    };
  }

  emit(a: A, b: B): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) fns[i]!(a, b);
  }
}
