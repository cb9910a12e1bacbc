import { InvokeCommand, LambdaClient, TooManyRequestsException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, NodeFailedError, NotExecutableError, TransientError } from '../../shared/executors';

// No local engine runs user Lambdas: the SDK client is mocked (AWS-only path).
const lambdaMock = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:price-check';
const node: NodeDef = { id: 'price', type: 'tool_call', tool: { kind: 'lambda', functionArn: ARN } };

function ctx() {
  return { runId: 'r1', nodeId: 'price', attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 5_000 };
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function failure(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { details?: Record<string, unknown> };
}

beforeEach(() => {
  lambdaMock.reset();
});

describe('lambda tools', () => {
  it('invokes the function synchronously with the inputs and returns its JSON result', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ ok: true, total: 3 }) as never });

    // Act
    const result = await executeNode(node, { items: [1, 2] }, ctx(), { lambda: client });

    // Assess
    expect(result).toStrictEqual({ output: { ok: true, total: 3 } });
    const calls = lambdaMock.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect({ ...input, Payload: new TextDecoder().decode(input.Payload as Uint8Array) }).toStrictEqual({
      FunctionName: ARN,
      InvocationType: 'RequestResponse',
      Payload: '{"items":[1,2]}',
    });
  });

  it('fails with Braid.NodeFailed when the function reports an error', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'RangeError', errorMessage: 'price out of range' }) as never,
    });

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.message).toMatch(/RangeError: price out of range/);
    expect(error.details).toStrictEqual({ functionError: 'Unhandled', errorType: 'RangeError', statusCode: 200 });
  });

  it('maps throttling to Braid.Transient', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect(error.name).toBe('Braid.Transient');
  });

  it('maps a missing function to Braid.NodeFailed', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.details).toStrictEqual({ lambdaError: 'ResourceNotFoundException' });
  });

  it('needs a Lambda client', async () => {
    // Act
    const error = await failure(executeNode(node, {}, ctx(), {}));

    // Assess
    expect(error).toBeInstanceOf(NotExecutableError);
  });
});
