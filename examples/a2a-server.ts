/**
 * The pieces every in-process A2A server here shares (the demo agent and the test agent): an agent card for
 * a JSON-RPC A2A 1.0 endpoint at `<url>/a2a/jsonrpc`, and the express routes that serve it.
 */
import type { Express } from 'express';
import type { AgentCard } from '@a2a-js/sdk';
import type { DefaultRequestHandler } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

/** An agent card for a JSON-RPC agent at `url`, no auth, text and JSON in and out. */
export function jsonRpcAgentCard(input: { url: string; name: string; description: string; skills?: AgentCard['skills']; streaming?: boolean }): AgentCard {
  return {
    name: input.name,
    description: input.description,
    supportedInterfaces: [{ url: `${input.url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: input.streaming ?? false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills: input.skills ?? [],
    signatures: [],
  };
}

/** Serves the card at `/.well-known/agent-card.json` and JSON-RPC at `/a2a/jsonrpc`. */
export function mountA2a(app: Express, handler: DefaultRequestHandler): void {
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
}
