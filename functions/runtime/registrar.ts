/**
 * The state-machine registrar that the functions which publish versions share (compile publishes them; the
 * finalizer re-plans them with learned durations): its configuration and the orchestrator built from it.
 */
import * as z from 'zod';
import { SFNClient } from '@aws-sdk/client-sfn';
import { arnScopeOf } from '../../shared/adapters/sfn-names';
import { SfnOrchestrator } from '../../shared/adapters/sfn-orchestrator';
import { BaseConfigSchema } from '../http/config';

/** Environment of a function that registers state machines. */
export const RegistrarConfigSchema = BaseConfigSchema.extend({
  EXECUTOR_ARN: z.string().startsWith('arn:'),
  STATE_MACHINE_ROLE_ARN: z.string().startsWith('arn:'),
  /** The stack name: machines are `<prefix>_<workflowId>` (`shared/adapters/sfn-names.ts`). */
  STATE_MACHINE_PREFIX: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,39}$/),
  /** Log group (ARN ending in `:*`) that every state machine logs to; absent: no execution logs. */
  STATE_MACHINE_LOG_GROUP_ARN: z.string().startsWith('arn:').optional(),
});

/** The orchestrator that registers machines with X-Ray tracing and error-level logs without execution data. */
export function registrarFromConfig(config: z.infer<typeof RegistrarConfigSchema>): SfnOrchestrator {
  return new SfnOrchestrator({
    client: new SFNClient({}),
    roleArn: config.STATE_MACHINE_ROLE_ARN,
    namePrefix: config.STATE_MACHINE_PREFIX,
    // Machines live beside the executor they invoke: same partition, region and account.
    scope: arnScopeOf(config.EXECUTOR_ARN),
    tracingConfiguration: { enabled: true },
    ...(config.STATE_MACHINE_LOG_GROUP_ARN
      ? { loggingConfiguration: { level: 'ERROR', includeExecutionData: false, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: config.STATE_MACHINE_LOG_GROUP_ARN } }] } }
      : {}),
  });
}
