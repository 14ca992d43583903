// The slice of bun:ffi that core/libc.ts uses; the real module exists only under Bun.
declare module 'bun:ffi' {
  type Arg = number | bigint | Uint8Array | null;
  export const FFIType: {
    readonly i32: number;
    readonly i64: number;
    readonly u32: number;
    readonly u64: number;
    readonly i64_fast: number;
    readonly ptr: number;
    readonly cstring: number;
  };
  export const read: { i32(ptr: number, offset: number): number };
  /** The address of a typed array's bytes (valid while the array lives). */
  export function ptr(view: ArrayBufferView, byteOffset?: number): number;
  export function dlopen<T extends Record<string, { args: readonly number[]; returns: number }>>(
    path: string,
    symbols: T,
  ): { symbols: { [K in keyof T]: (...args: Arg[]) => number }; close(): void };
}
