/**
 * The few `Reflect` metadata functions that tsyringe (a dependency of @peculiar/x509) checks for at
 * load time. The `reflect-metadata` package is not installed; this is the minimal subset tsyringe
 * calls (define/get/getOwn), stored in a WeakMap. It only adds functions that are missing, so a real
 * polyfill loaded earlier wins. Import it before @peculiar/x509 (ca/src/core/x509.ts does).
 */
type MetadataReflect = typeof Reflect & {
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  getMetadata?: (key: unknown, target: object) => unknown;
};

const reflect = Reflect as MetadataReflect;
if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object): Map<unknown, unknown> => {
    let map = store.get(target);
    if (!map) store.set(target, (map = new Map()));
    return map;
  };
  reflect.defineMetadata = (key, value, target) => void own(target).set(key, value);
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.getMetadata = (key, target) => {
    for (let o: object | null = target; o; o = Object.getPrototypeOf(o) as object | null) {
      const value = store.get(o)?.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}

export {};
