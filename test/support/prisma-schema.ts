import { getDMMF } from '@prisma/get-dmmf';

/**
 * Prisma's own schema parser through its published entry point, `getDMMF` of @prisma/get-dmmf
 * (what `prisma generate` and every generator use; it runs Prisma's schema WASM, no native
 * engine). Parsing with Prisma itself means the drift test sees exactly what `prisma generate`
 * sees (@map, @@map, @db.* attributes, defaults). Only the DMMF fields the test reads are typed here.
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
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

interface DmmfEnum {
  name: string;
  values: Array<{ name: string; dbName: string | null }>;
  dbName?: string | null;
}

export interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: Array<{ model: string; type: 'id' | 'normal' | 'unique' | 'fulltext'; dbName?: string | null; fields: Array<{ name: string }> }>;
}

/** The DMMF datamodel of a schema.prisma source, as Prisma's parser sees it. Throws on schema errors. */
export function getDatamodel(schema: string): Datamodel {
  const result = getDMMF({ datamodel: schema });
  if ('datamodel' in result) return result.datamodel as unknown as Datamodel;
  throw new Error(`Prisma could not parse the schema (${result.type}): ${result.reason}`, { cause: result.error });
}
