// A device model of ours that the machine drives at sync points: the only moments when the
// exact instruction count is known, and so the only moments when anything asynchronous to the
// guest (an arriving frame, a timer, an interrupt edge) may happen.

export interface SyncDevice<State = unknown> {
  readonly name: string;
  /** The legacy IRQ line (0-15) the device drives, if any. */
  readonly irq?: number;
  /** Level of the device's interrupt line (for level-to-edge conversion at sync points). */
  irqLevel(): boolean;
  /** True when the line dropped since the last sync (so a new edge must be produced). */
  takeDeassertedSinceSync(): boolean;
  /** Earliest virtual time at which the device needs a sync point, if any. */
  nextDeadlineNs(): number | undefined;
  /** Called at every sync point with the virtual time. */
  sync(nowNs: number): void;
  getState(): State;
  setState(state: State): void;
}
