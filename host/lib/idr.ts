// ID allocation (lib/idr.c): small integer handles for host objects that module code refers to.

export class Idr<T> {
  private readonly objects = new Map<number, T>();
  private readonly ids = new Map<T, number>();
  private next = 1;

  /** The object's handle, allocating one the first time. */
  handle(obj: T): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(obj, id);
      this.objects.set(id, obj);
    }
    return id;
  }

  find(id: number): T | undefined {
    return this.objects.get(id);
  }

  remove(obj: T): void {
    const id = this.ids.get(obj);
    if (id === undefined) return;
    this.ids.delete(obj);
    this.objects.delete(id);
  }
}
