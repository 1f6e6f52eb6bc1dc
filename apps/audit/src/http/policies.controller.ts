import { Controller, Get, Inject } from '@nestjs/common';
import { Roles } from '@clearwork/platform';
import { RecordedPolicies } from '../policies/recorded-policies';

/**
 * The policy versions as the log recorded them, oldest first, for the auditor console (served by
 * this service, so the page needs no call to another origin). The scoring service remains the
 * source of the policy in force; this is what decisions were judged by.
 */
@Controller('v1/policies')
export class PoliciesController {
  constructor(@Inject(RecordedPolicies) private readonly policies: RecordedPolicies) {}

  @Get()
  @Roles('worker', 'auditor', 'reviewer', 'platform')
  async list() {
    return { policies: await this.policies.recorded() };
  }
}
