/**
 * HTTP-only request errors (the domain errors live in `shared/errors.ts`).
 */
import { BraidError } from '../../shared/errors';

/** The body's content type is not one the route accepts (HTTP 415). */
export class UnsupportedMediaTypeError extends BraidError {
  readonly contentType: string | undefined;
  constructor(contentType: string | undefined, expected = 'application/json', options?: { cause?: unknown }) {
    super('unsupported_media_type', `content type ${contentType ?? '(none)'} is not supported; send ${expected}`, options);
    this.name = 'UnsupportedMediaTypeError';
    this.contentType = contentType;
  }
}

/** The route is in the route table but its handler is not built yet (HTTP 501). */
export class NotImplementedError extends BraidError {
  constructor(route: string, options?: { cause?: unknown }) {
    super('not_implemented', `${route} is not implemented`, options);
    this.name = 'NotImplementedError';
  }
}
