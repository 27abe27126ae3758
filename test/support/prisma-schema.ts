import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Prisma's own schema parser: the `prisma_schema_build` WASM module that ships inside the prisma
 * CLI (the code published as @prisma/prisma-schema-wasm). The CLI bundles its wasm-bindgen glue,
 * so this is the few lines of it that `get_dmmf` needs. Parsing with Prisma itself means the
 * drift test sees exactly what `prisma generate` sees (@map, @@map, @db.* attributes, defaults).
 */

export interface DmmfField {
  name: string;
  dbName: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  type: string;
  nativeType: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { name: string | null; fields: string[] } | null;
  uniqueFields: string[][];
  uniqueIndexes: Array<{ name: string | null; fields: string[] }>;
}

export interface DmmfEnum {
  name: string;
  values: Array<{ name: string; dbName: string | null }>;
  dbName?: string | null;
}

export interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: Array<{ model: string; type: 'id' | 'normal' | 'unique' | 'fulltext'; isDefinedOnField: boolean; dbName?: string; fields: Array<{ name: string }> }>;
}

// The few WebAssembly globals used here (Node has them; the project's lib settings do not declare them).
interface WasmTable {
  grow(delta: number): number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface SchemaWasm {
  memory: { buffer: ArrayBuffer };
  __wbindgen_externrefs: WasmTable;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __externref_table_dealloc(index: number): void;
  __wbindgen_start(): void;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
}

let instance: SchemaWasm | undefined;

function load(): SchemaWasm {
  if (instance) return instance;
  const require = createRequire(import.meta.url);
  const wasmPath = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'prisma_schema_build_bg.wasm');
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  const text = (ptr: number, len: number) => decoder.decode(new Uint8Array(exports.memory.buffer, ptr >>> 0, len));
  const panics: string[] = [];
  const imports = {
    __wbindgen_placeholder__: {
      __wbg_Error_e83987f665cf5504: (ptr: number, len: number) => new Error(text(ptr, len)),
      __wbg___wbindgen_throw_b855445ff6a94295: (ptr: number, len: number) => {
        throw new Error(text(ptr, len));
      },
      __wbg_set_message_f22ac4a6869ee695: (ptr: number, len: number) => void panics.push(text(ptr, len)),
      __wbindgen_init_externref_table: () => {
        const table = exports.__wbindgen_externrefs;
        const offset = table.grow(4);
        table.set(0, undefined);
        table.set(offset + 0, undefined);
        table.set(offset + 1, null);
        table.set(offset + 2, true);
        table.set(offset + 3, false);
      },
    },
  };
  const module = new Wasm.Module(readFileSync(wasmPath));
  const exports = new Wasm.Instance(module, imports).exports as SchemaWasm;
  exports.__wbindgen_start();
  instance = exports;
  return exports;
}

/** The DMMF datamodel of a schema.prisma source, as Prisma's parser sees it. Throws on schema errors. */
export function getDatamodel(schema: string): Datamodel {
  const wasm = load();
  const input = new TextEncoder().encode(JSON.stringify({ prismaSchema: schema, noColor: true }));
  const ptr = wasm.__wbindgen_malloc(input.length, 1) >>> 0;
  new Uint8Array(wasm.memory.buffer, ptr, input.length).set(input);
  const [outPtr, outLen, errorRef, failed] = wasm.get_dmmf(ptr, input.length);
  if (failed) {
    const error = wasm.__wbindgen_externrefs.get(errorRef) as Error;
    wasm.__externref_table_dealloc(errorRef);
    throw error;
  }
  try {
    const json = new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, outPtr >>> 0, outLen));
    return (JSON.parse(json) as { datamodel: Datamodel }).datamodel;
  } finally {
    wasm.__wbindgen_free(outPtr, outLen, 1);
  }
}
