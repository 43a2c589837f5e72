// ffi-rs, loaded without its C-library probe.
//
// ffi-rs is a native addon built once per platform; its entry point (node_modules/ffi-rs/index.js)
// picks the build for this machine, and on Linux it must tell glibc from musl first. It asks
// `process.report.getReport()` — a whole diagnostic report of the process, ~6 ms here — and does
// so twice on x86_64: ~12 ms on every Node start that makes a system call. minidock pays it in the
// CLI *and* in every container's init (and in the shim and `minidock-runtime`), so on the path of
// `minidock run` it was the single largest cost after Node's own start.
//
// glibc is what every machine the lab runs on has (Debian, Ubuntu; the base image's busybox is
// static and never loads this), so this file loads the `-gnu` build straight from the package
// ffi-rs itself would load it from, and falls back to ffi-rs's entry point when that build is not
// there (musl, another architecture) — the same binding either way, only the probe is skipped.
//
// The entry point also adapts two things before calling the binding, and so does `load` here:
// array parameters (U8Array …) are described to the binding with their length, and a result's
// memory is not freed unless asked (`freeResultMemory: false`).
// Only lib/sys/libc.ts imports this file (docs/design.md, principle 2).

import { createRequire } from 'node:module';
import type * as FfiRs from 'ffi-rs';
import type { DataType as DataTypeEnum } from 'ffi-rs';

type Ffi = typeof FfiRs;
type LoadParams = Parameters<Ffi['load']>[0];

const require = createRequire(import.meta.url);

/** The binding for linux-<arch>-gnu, found from ffi-rs's own directory, or null if absent. */
function gnuBinding(): Ffi | null {
  if (process.platform !== 'linux') return null;
  try {
    const fromFfiRs = createRequire(require.resolve('ffi-rs'));
    return fromFfiRs(`@yuuang/ffi-rs-linux-${process.arch}-gnu`) as Ffi;
  } catch {
    return null; // not installed (a musl machine gets the -musl package instead)
  }
}

function loadFfi(): Pick<Ffi, 'open' | 'load' | 'DataType' | 'createExternalBuffer'> {
  const native = gnuBinding();
  if (!native) return require('ffi-rs') as Ffi;
  // What ffi-rs's entry point does before each call: an array parameter (U8Array …) is described
  // with its length, and a result's memory is freed only when asked.
  const { DataType: T } = native;
  const arrays = new Set<unknown>([T.I16Array, T.I32Array, T.StringArray, T.DoubleArray, T.U8Array, T.FloatArray]);
  const arrayTag = (native.FFITypeTag as unknown as Record<string, number>).Array; // not in index.d.ts
  const load = (params: LoadParams) => {
    const values = params.paramsValue as { length: number }[];
    const paramsType = params.paramsType.map((type, i) => (arrays.has(type) ? { ffiTypeTag: arrayTag, type, length: values[i].length } : type));
    return native.load({ freeResultMemory: false, ...params, paramsType } as LoadParams);
  };
  return { open: native.open, DataType: native.DataType, createExternalBuffer: native.createExternalBuffer, load: load as Ffi['load'] };
}

const ffi = loadFfi();
export const { open, load, createExternalBuffer } = ffi;
/** ffi-rs's type codes (an enum: the value here, its type below). */
export const DataType: typeof DataTypeEnum = ffi.DataType;
export type DataType = DataTypeEnum;
export type { JsExternal } from 'ffi-rs';
