// ID allocation (lib/idr.c): small integer handles for host objects that module code refers to.
//
// The handle is kept on the object under a symbol of its own Idr, so looking it up on a hot path (a file
// operation, a poll) is a property read rather than a map lookup.

export class Idr<T extends object> {
  private readonly objects = new Map<number, T>();
  private readonly key = Symbol("idr");
  private next = 1;

  /** The object's handle, allocating one the first time. */
  handle(obj: T): number {
    const tagged = obj as unknown as Record<symbol, number | undefined>;
    let id = tagged[this.key];
    if (id === undefined) {
      id = this.next++;
      tagged[this.key] = id;
      this.objects.set(id, obj);
    }
    return id;
  }

  find(id: number): T | undefined {
    return this.objects.get(id);
  }

  /** How many handles are allocated. */
  get size(): number {
    return this.objects.size;
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  remove(obj: T): void {
    const tagged = obj as unknown as Record<symbol, number | undefined>;
    const id = tagged[this.key];
    if (id === undefined) return;
    tagged[this.key] = undefined;
    this.objects.delete(id);
  }
}
