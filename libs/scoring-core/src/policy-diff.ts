import type { PolicyDocument } from './policy';

export interface ParameterChange {
  /** Dotted path of the parameter, e.g. `weights.quality`. */
  readonly parameter: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** Every parameter that differs between two versions, old and new value. */
export function diffPolicies(a: PolicyDocument, b: PolicyDocument): ParameterChange[] {
  const out: ParameterChange[] = [];
  walk(a, b, '', out);
  return out.filter((c) => c.parameter !== 'version');
}

function walk(a: unknown, b: unknown, path: string, out: ParameterChange[]): void {
  const objA = typeof a === 'object' && a !== null && !Array.isArray(a);
  const objB = typeof b === 'object' && b !== null && !Array.isArray(b);
  if (objA && objB) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of [...keys].sort()) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ parameter: path, from: a ?? null, to: b ?? null });
}
