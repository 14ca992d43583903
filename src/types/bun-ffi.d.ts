// The slice of bun:ffi that lock.ts uses; the real module exists only under Bun.
declare module 'bun:ffi' {
  export const FFIType: { readonly i32: number };
  export function dlopen<T extends Record<string, { args: readonly number[]; returns: number }>>(
    path: string,
    symbols: T,
  ): { symbols: { [K in keyof T]: (...args: number[]) => number }; close(): void };
}
