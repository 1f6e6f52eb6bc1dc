import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Public, Roles, type OpenApiDocument, type Role } from '@clearwork/platform';

/** One HTTP route as served or as documented: `GET /v1/tasks/{taskId}`, who may call it, its status of success. */
export interface HttpRoute {
  readonly route: string;
  readonly access: 'public' | readonly Role[];
  readonly status: number;
}

type ModuleRef = Type<unknown> | DynamicModule;

const ROLES_KEY = Roles().KEY;
const PUBLIC_KEY = Public().KEY;

/**
 * Every HTTP route the controllers of `root` and of the modules it imports declare, read from
 * Nest's route metadata, with the access its `@Roles()` / `@Public()` metadata gives (the handler's
 * own first, as the auth guard reads it) and the status of success Nest answers with (`@HttpCode()`,
 * else 201 for POST and 200 for the rest). Kafka handlers have no route and are left out.
 */
export function declaredRoutes(root: ModuleRef): HttpRoute[] {
  const routes: HttpRoute[] = [];
  // A module class's own metadata counts once however many times it is imported, as in Nest.
  const seen = new Set<object>();
  const visit = (ref: ModuleRef) => {
    const moduleClass = 'module' in ref ? ref.module : ref;
    const parts: { controllers?: Type<unknown>[]; imports?: ModuleRef[] }[] = [];
    if (!seen.has(moduleClass)) {
      seen.add(moduleClass);
      parts.push({ controllers: metadata(MODULE_METADATA.CONTROLLERS, moduleClass), imports: metadata(MODULE_METADATA.IMPORTS, moduleClass) });
    }
    if ('module' in ref && !seen.has(ref)) {
      seen.add(ref);
      parts.push({ controllers: ref.controllers, imports: ref.imports as ModuleRef[] | undefined });
    }
    for (const part of parts) {
      for (const controller of part.controllers ?? []) routes.push(...routesOf(controller));
      for (const imported of part.imports ?? []) visit(imported);
    }
  };
  visit(root);
  return sortRoutes(routes);
}

/** Every operation of an OpenAPI document, in the same form as `declaredRoutes`. */
export function documentedRoutes(document: OpenApiDocument): HttpRoute[] {
  return sortRoutes(
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        route: `${method.toUpperCase()} ${path}`,
        access: operation?.security.length === 0 ? ('public' as const) : [...(operation?.['x-roles'] ?? [])].sort(),
        status: Number(Object.keys(operation?.responses ?? {}).find((status) => status.startsWith('2'))),
      })),
    ),
  );
}

function routesOf(controller: Type<unknown>): HttpRoute[] {
  const base = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
  const routes: HttpRoute[] = [];
  for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
      if (name === 'constructor' || typeof handler !== 'function') continue;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const access = accessOf(handler, controller);
      const status = (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'POST' ? 201 : 200);
      for (const prefix of base) for (const path of pathsOf(paths)) routes.push({ route: `${method} ${joinPath(prefix, path)}`, access, status });
    }
  }
  return routes;
}

function accessOf(handler: Function, controller: Type<unknown>): HttpRoute['access'] {
  const first = <T>(key: string): T | undefined => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
  if (first<boolean>(PUBLIC_KEY)) return 'public';
  return [...(first<Role[]>(ROLES_KEY) ?? [])].sort();
}

/** `v1/tasks` + `:taskId` -> `/v1/tasks/{taskId}`. */
function joinPath(prefix: string, path: string): string {
  const joined = `/${[prefix, path].join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function pathsOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [''] : Array.isArray(value) ? value : [value];
}

function metadata<T>(key: string, target: object): T[] {
  return (Reflect.getMetadata(key, target) as T[] | undefined) ?? [];
}

function sortRoutes(routes: HttpRoute[]): HttpRoute[] {
  return routes.sort((a, b) => (a.route < b.route ? -1 : a.route > b.route ? 1 : 0));
}
