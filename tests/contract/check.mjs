// Type-checks JSON samples against misskey-js's entity types, the contract every Misskey client
// is written against. Input: a JSON file holding [{"type": "MetaDetailed", "value": {...}}, …].
// Each sample becomes a typed object literal, so missing fields, wrong types and extra fields
// are all compile errors. Exit 0 when every sample fits; otherwise the errors are printed.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const samples = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const here = path.dirname(new URL(import.meta.url).pathname);
const file = path.join(here, `check-${process.pid}.ts`);
const lines = ["import type { entities } from 'misskey-js';"];
const starts = []; // first line (0-based) of each sample
samples.forEach((s, i) => {
  if (!/^[A-Za-z]+$/.test(s.type)) throw new Error(`bad type name ${s.type}`);
  starts.push(lines.length);
  lines.push(`// sample ${i}: ${s.type}`);
  for (const l of `export const sample${i}: entities.${s.type} = ${JSON.stringify(s.value, null, 2)};`.split('\n')) lines.push(l);
});
fs.writeFileSync(file, lines.join('\n') + '\n');
try {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    exactOptionalPropertyTypes: true,
  });
  const diags = ts.getPreEmitDiagnostics(program);
  const failed = new Set();
  for (const d of diags) {
    const line = d.file ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    let idx = -1;
    starts.forEach((st, i) => { if (line >= st) idx = i; });
    failed.add(idx);
    const which = idx >= 0 ? `sample ${idx} (${samples[idx].type}, ${samples[idx].name ?? ''})` : 'setup';
    console.log(`${which}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  console.log(`${samples.length - failed.size} passed, ${failed.size} failed`);
  process.exitCode = diags.length === 0 ? 0 : 1;
} finally {
  fs.unlinkSync(file);
}
