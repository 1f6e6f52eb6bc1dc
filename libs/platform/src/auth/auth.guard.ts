import { ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { SERVICE_CONFIG } from '../platform.tokens';
import type { BaseConfig } from '../config/load-config';
import { verifyToken, type Principal, type Role } from './jwt';

const ROLES_KEY = 'clearwork:roles';
const PUBLIC_KEY = 'clearwork:public';

/** The roles that may call a handler. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** A handler anyone may call without a token (health, metrics, the published policy). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

type AuthedRequest = Request & { principal?: Principal };

/** The verified caller of the current request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext) => (ctx.switchToHttp().getRequest<AuthedRequest>()).principal);

/**
 * Every HTTP handler needs a valid bearer token unless marked `@Public()`: no token or a bad one
 * is 401, a role the handler does not list is 403. Kafka handlers are not HTTP and pass.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) private readonly config: BaseConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <token>)');
    const result = verifyToken(this.config.JWT_SECRET, match[1]);
    if (!result.ok) throw new UnauthorizedException(`invalid token: ${result.reason}`);
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets);
    if (!roles || !roles.includes(result.principal.role)) throw new ForbiddenException('forbidden');
    request.principal = result.principal;
    return true;
  }
}

/** A worker may read only its own records; anyone else with a permitted role may read any. */
export function assertMayRead(principal: Principal | undefined, workerId: string): void {
  if (!principal || (principal.role === 'worker' && principal.sub !== workerId)) throw new ForbiddenException('forbidden');
}
