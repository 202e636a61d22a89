const closers: Array<() => Promise<unknown>> = [];

/** Route modules are imported at build time, when configuration may not exist yet. */
export function lazyObject<T extends object>(create: () => T, close?: (instance: T) => Promise<unknown>): T {
  let instance: T | undefined;
  return new Proxy({} as T, {
    get(_target, prop) {
      if (!instance) {
        instance = create();
        const created = instance;
        closers.push(async () => {
          if (instance === created) instance = undefined;
          await close?.(created);
        });
      }
      const value = Reflect.get(instance, prop, instance);
      return typeof value === "function" ? value.bind(instance) : value;
    },
  });
}

/** A client that is not a lazyObject but must close with the others. */
export function onCloseLazyClients(close: () => Promise<unknown>) {
  permanent.push(close);
}
const permanent: Array<() => Promise<unknown>> = [];

/** CLI and tests call this so the process can exit. */
export async function closeLazyClients() {
  await Promise.allSettled([...closers.splice(0), ...permanent].map((close) => close()));
}
