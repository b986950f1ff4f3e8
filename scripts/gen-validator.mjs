#!/usr/bin/env node
// Compiles schemas/compose.schema.json into a standalone ajv validator at
// src/core/load/generated/compose-validator.ts, so tug never compiles a schema at
// start-up. Runs before tsc (see package.json); skips work when the output is
// newer than both the schema and this script.
//
// Options that matter to src/core/load/validate.ts:
// - allErrors: report every problem, not just the first;
// - verbose: each error carries `parentSchema`, the schema node that failed, so the
//   error converter can read allowed keys and our `expected` wording without
//   resolving schema paths (ajv reports those relative to each compiled $ref).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaFile = join(root, 'schemas/compose.schema.json');
const scriptFile = fileURLToPath(import.meta.url);
const outFile = join(root, 'src/core/load/generated/compose-validator.ts');

const force = process.argv.includes('--force');

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -Infinity;
  }
}

if (!force && mtime(outFile) > Math.max(mtime(schemaFile), mtime(scriptFile))) {
  process.exit(0);
}

// Loaded only when there is work to do, so an up-to-date build pays nothing.
const { default: Ajv } = await import('ajv');
const { default: standalone } = await import('ajv/dist/standalone/index.js');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
const AjvClass = Ajv.default ?? Ajv;
const standaloneCode = standalone.default ?? standalone;

const ajv = new AjvClass({
  allErrors: true,
  strict: false,
  verbose: true,
  // validate.ts writes its own messages; ajv's English would only add weight.
  messages: false,
  // Separate functions per definition keep the output a third smaller.
  inlineRefs: false,
  code: { source: true, esm: true },
});
const validate = ajv.compile(schema);
const code = toNodeEsm(standaloneCode(ajv, validate));

const header = [
  '// @ts-nocheck',
  '// GENERATED FILE: do not edit. Produced by scripts/gen-validator.mjs from',
  `// ${relative(root, schemaFile)}. Run \`npm run gen\` after changing the schema.`,
  '/* eslint-disable */',
  '',
].join('\n');

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${header}${code}\n${typedExports(code, schema)}`);
console.log(`gen-validator: wrote ${relative(root, outFile)} (${Math.round(code.length / 1024)} KiB)`);

/**
 * ajv's ESM output still calls `require("ajv/dist/runtime/<name>")` for helpers
 * such as deep equality. Replace each with a static import of the `.js` file
 * (Node's ESM resolver wants the extension) and an interop shim: Node exposes a
 * CommonJS module's `exports` as the default import, bundlers may unwrap it.
 */
function toNodeEsm(source) {
  const imports = new Map();
  let out = source.replace(
    /require\(\s*["'](ajv\/dist\/runtime\/[\w-]+?)(?:\.js)?["']\s*\)/g,
    (_match, spec) => {
      let local = imports.get(spec);
      if (!local) {
        local = `__ajvRuntime${imports.size}`;
        imports.set(spec, local);
      }
      return `__cjs(${local})`;
    },
  );
  // Any import ajv may emit itself gets the extension too.
  out = out.replace(/(from\s*["'])(ajv\/dist\/runtime\/[\w-]+?)(?:\.js)?(["'])/g, '$1$2.js$3');
  if (out.includes('require(')) {
    throw new Error('gen-validator: generated code still calls require(); update toNodeEsm()');
  }
  const lines = [...imports].map(([spec, local]) => `import * as ${local} from "${spec}.js";`);
  if (imports.size > 0) {
    lines.push(
      'const __cjs = (ns) => (ns.default && typeof ns.default === "object" && "default" in ns.default ? ns.default : ns);',
    );
  }
  return `${lines.join('\n')}\n${out.replace(/^"use strict";/, '')}`;
}

/** Typed names for what validate.ts needs, so it does not lean on inferred types. */
function typedExports(code, schemaJson) {
  const main = /export default (validate\d+);/.exec(code)?.[1];
  if (!main) throw new Error('gen-validator: cannot find the default export in ajv output');
  return `
export interface ComposeSchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** The schema node whose keyword failed (ajv \`verbose\`). */
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

export interface ComposeValidator {
  (data: unknown): boolean;
  errors?: ComposeSchemaError[] | null;
}

/** The validator with a declared type (the default export is the same function). */
export const validateCompose: ComposeValidator = ${main} as unknown as ComposeValidator;

/** The schema the validator was compiled from, for resolving \`$ref\`s in error messages. */
export const composeSchema: Record<string, unknown> = ${JSON.stringify(schemaJson)};
`;
}
