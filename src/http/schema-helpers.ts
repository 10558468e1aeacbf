import { Type } from 'typebox';

/**
 * A string limited to `values`, as a plain JSON-schema `enum`: the validator then reports the
 * allowed values, where a union of literals would only say "must be equal to constant".
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
