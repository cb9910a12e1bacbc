/**
 * A Lambda handler built once: eagerly at module load inside Lambda (so a bad configuration fails the cold
 * start loudly), lazily on first call elsewhere (so the local stack and tests can import the module and
 * inject their own dependencies through `createHandler`).
 */

/** Wraps `build` into a handler that builds at most once. */
export function lazyHandler<E, C, R>(build: () => (event: E, context: C) => Promise<R>): (event: E, context: C) => Promise<R> {
  let built = process.env.AWS_LAMBDA_FUNCTION_NAME ? build() : undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
