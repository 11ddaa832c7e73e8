// scull's memory area (LDD3's struct scull_dev and scull_qset): a list of quantum sets, each an array of
// qset pointers to quanta of quantum bytes, made as writes reach them (scull_test.ts tests them).

export class ScullQset {
  data: Array<Uint8Array | null>;
  constructor(qset: i32) {
    this.data = new Array<Uint8Array | null>(qset);
  }
}

export class ScullDev {
  qsets: Array<ScullQset> = [];
  size: i32 = 0;

  constructor(
    public quantum: i32,
    public qset: i32,
  ) {}

  /** scull_trim(): empty, with the quantum and qset sizes given (the module's parameters at the time). */
  trim(quantum: i32, qset: i32): void {
    this.qsets = [];
    this.size = 0;
    this.quantum = quantum;
    this.qset = qset;
  }

  /** scull_follow(): the quantum holding byte pos, made on the way when `create`. */
  quantumAt(pos: i32, create: bool): Uint8Array | null {
    const itemsize = this.quantum * this.qset;
    const item = pos / itemsize;
    const slot = (pos % itemsize) / this.quantum;
    while (this.qsets.length <= item) {
      if (!create) return null;
      this.qsets.push(new ScullQset(this.qset));
    }
    const set = this.qsets[item];
    if (set.data[slot] == null) {
      if (!create) return null;
      set.data[slot] = new Uint8Array(this.quantum);
    }
    return set.data[slot];
  }
}
