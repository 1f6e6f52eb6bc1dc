/*
 * Only parameterised SQL: values reach PostgreSQL as parameters ($1, $2, ...), never in a
 * statement's text. This reads every statement written as a template literal in the services and
 * libraries and checks that what is interpolated into it is one of the reviewed expressions
 * below (names from constants, placeholders' numbers, fixed keywords). A new interpolation fails
 * here until someone reviews it and adds it, with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { sqlName } from './sql';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SQL = /\b(SELECT|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|COPY|CREATE|ALTER|DROP|TRUNCATE)\b/i;

/** Interpolations reviewed as safe, each with why. */
const REVIEWED: Record<string, string> = {
  COLUMNS: 'a constant list of column names',
  "clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''": 'clauses are constant texts with $n placeholders',
  "clauses.join(' AND ')": 'clauses are constant texts with $n placeholders',
  "order === 'newest' ? 'DESC' : ''": 'a fixed keyword',
  'params.length': 'the number of a placeholder',
  'i + 2': 'the number of a placeholder',
  'n + 1': 'the number of a placeholder',
  'n + 2': 'the number of a placeholder',
  'n + 3': 'the number of a placeholder',
  "w.clauses.join(', ')": 'write clauses (WriteClauses): statements built by reviewed code, with $n placeholders',
  "writes.clauses.length > 0 ? `WITH ${writes.clauses.join(', ')}` : ''": 'write clauses (WriteClauses): statements built by reviewed code, with $n placeholders',
  "branches.join(' UNION ALL ')": 'branches are constant texts with $n placeholders',
  MICROS: 'a constant expression over a column',
  NOT_OWN: 'a constant condition',
  LOCK_IN_ORDER: 'a constant WITH clause locking rows by the $1 placeholder',
  LOCK_IN_ORDER_SKIPPING: 'a constant WITH clause locking rows by the $1 placeholder',
  n: 'the number of a placeholder (insertRowsStatement takes a number)',
  PAGE: 'a numeric constant',
  "lock ? ' FOR UPDATE' : ''": 'a fixed clause',
  'sqlName(schema)': 'checked to be a plain identifier',
  'sqlName(table)': 'checked to be a plain identifier',
  'sqlName(column)': 'checked to be a plain identifier',
  target: 'a column named by sqlName-checked parts (setCompression)',
  "columns.map(sqlName).join(', ')": 'each checked to be a plain identifier',
  table: 'a constant table name: migrations iterate a fixed list; insertRows checks it with sqlName',
  t: 'a constant table name: down migrations iterate a fixed list',
  'sqlName(options.schema)': 'checked to be a plain identifier',
  list: 'column names, each checked by sqlName',
  suffix: 'a fixed clause from the calling code (ON CONFLICT ...)',
  'this.schema': 'checked by sqlName in the constructor',
  schema: 'the service schema constant, in migrations and table definitions',
  SCHEMA: "the service's schema constant",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function interpolationsInSql(file: string): { line: number; expression: string }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { line: number; expression: string }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isTemplateExpression(node)) {
      const text = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
      if (SQL.test(text)) {
        for (const span of node.templateSpans) {
          found.push({ line: source.getLineAndCharacterOfPosition(span.getStart()).line + 1, expression: span.expression.getText(source) });
        }
        return; // nested templates belong to this statement and were just listed
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('SQL text', () => {
  const files = ['apps', 'libs'].flatMap((d) => readdirSync(join(ROOT, d)).map((p) => join(ROOT, d, p, 'src'))).flatMap(sourceFiles);

  it('interpolates only reviewed expressions into statements; every value is a parameter', () => {
    const unreviewed = files.flatMap((file) =>
      interpolationsInSql(file)
        .filter((i) => !(i.expression in REVIEWED))
        .map((i) => `${relative(ROOT, file)}:${i.line}: \${${i.expression}}`),
    );
    expect(unreviewed).toEqual([]);
  });

  it('finds the statements it checks (the scan is not looking at nothing)', () => {
    const all = files.flatMap((f) => interpolationsInSql(f));
    expect(files.length).toBeGreaterThan(50);
    expect(all.some((i) => i.expression === 'COLUMNS')).toBe(true);
    expect(all.some((i) => i.expression === 'sqlName(schema)')).toBe(true);
  });

  it('sqlName lets plain identifiers through and refuses anything else', () => {
    for (const ok of ['audit.entries', 'dispatcher', 'worker_id', 'presence_marks']) expect(sqlName(ok)).toBe(ok);
    for (const bad of ['audit.entries; DROP TABLE x', 'Entries', '"quoted"', 'a.b.c', '', 'x--', 'x y', "o'brien"]) expect(() => sqlName(bad)).toThrow(/not a plain SQL name/);
  });
});
