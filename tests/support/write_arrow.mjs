// Writes an Arrow IPC file with Apache Arrow's own JavaScript implementation (npm
// apache-arrow, a devDependency), so ipw's reader is checked against an independent
// writer rather than against itself.
//   node tests/support/write_arrow.mjs SPEC.json OUT.arrow
// SPEC: {"layout": "stream" (default) | "file", "batch_rows": N (optional: rows per record batch),
//        "schema": {"column": "TYPE", ...},
//        "rows": [{"column": value, ...}, ...] or "rows_jsonl": "FILE" (relative to SPEC)}
// TYPE: utf8, large_utf8, int8/16/32/64, uint8/16/32/64, float32, float64, bool, null,
//       binary, timestamp, list<TYPE>, large_list<TYPE>, struct<name:TYPE,...>.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const arrow = require('apache-arrow');

function parseType(text) {
  let pos = 0;
  const peek = () => text[pos];
  const word = () => {
    const m = /^[a-z0-9_]+/i.exec(text.slice(pos));
    if (!m) throw new Error(`bad type at ${pos}: ${text}`);
    pos += m[0].length;
    return m[0];
  };
  const expect = (c) => {
    if (text[pos] !== c) throw new Error(`expected '${c}' at ${pos}: ${text}`);
    pos += 1;
  };
  const type = () => {
    const name = word();
    const scalar = {
      utf8: () => new arrow.Utf8(), large_utf8: () => new arrow.LargeUtf8(),
      int8: () => new arrow.Int8(), int16: () => new arrow.Int16(), int32: () => new arrow.Int32(),
      int64: () => new arrow.Int64(), uint8: () => new arrow.Uint8(), uint16: () => new arrow.Uint16(),
      uint32: () => new arrow.Uint32(), uint64: () => new arrow.Uint64(), float32: () => new arrow.Float32(),
      float64: () => new arrow.Float64(), bool: () => new arrow.Bool(), null: () => new arrow.Null(),
      binary: () => new arrow.Binary(), timestamp: () => new arrow.TimestampMillisecond(),
    };
    if (scalar[name]) return scalar[name]();
    if (name === 'list' || name === 'large_list') {
      expect('<');
      const child = type();
      expect('>');
      const field = new arrow.Field('item', child, true);
      return name === 'list' ? new arrow.List(field) : new arrow.LargeList(field);
    }
    if (name === 'struct') {
      expect('<');
      const fields = [];
      while (peek() !== '>') {
        const fname = word();
        expect(':');
        fields.push(new arrow.Field(fname, type(), true));
        if (peek() === ',') pos += 1;
      }
      expect('>');
      return new arrow.Struct(fields);
    }
    throw new Error(`unknown type '${name}'`);
  };
  const t = type();
  if (pos !== text.length) throw new Error(`trailing text in type: ${text}`);
  return t;
}

// JSON numbers -> what each Arrow type's builder takes.
function convert(type, v) {
  if (v === null || v === undefined) return null;
  if (arrow.DataType.isInt(type) && type.bitWidth === 64) return BigInt(v);
  if (arrow.DataType.isBinary(type)) return new TextEncoder().encode(v);
  if (arrow.DataType.isList(type)) return v.map((e) => convert(type.children[0].type, e));
  if (arrow.DataType.isStruct(type)) {
    const out = {};
    for (const f of type.children) out[f.name] = convert(f.type, v[f.name]);
    return out;
  }
  return v;
}

const [specPath, outPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
if (spec.rows_jsonl) {
  spec.rows = readFileSync(resolve(dirname(specPath), spec.rows_jsonl), 'utf8')
    .split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}
const names = Object.keys(spec.schema);
const types = names.map((n) => parseType(spec.schema[n]));
const schema = new arrow.Schema(names.map((n, i) => new arrow.Field(n, types[i], true)));
const size = spec.batch_rows || Math.max(spec.rows.length, 1);
const batches = [];
for (let at = 0; at < Math.max(spec.rows.length, 1); at += size) {
  const rows = spec.rows.slice(at, at + size);
  const children = names.map((n, i) => {
    const builder = arrow.makeBuilder({ type: types[i], nullValues: [null, undefined] });
    for (const r of rows) builder.append(convert(types[i], r[n]));
    return builder.finish().flush();
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  batches.push(new arrow.RecordBatch(schema, data));
}
const table = new arrow.Table(schema, batches);
writeFileSync(outPath, arrow.tableToIPC(table, spec.layout || 'stream'));
