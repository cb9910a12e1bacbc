/**
 * The Lambda handler shapes the functions share, so no handler imports another handler's types.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';

/** An HTTP API (payload v2) Lambda handler. */
export type HttpHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyResultV2>;

/** What a WebSocket route integration returns. */
export interface WsResult {
  statusCode: number;
  body?: string;
}
