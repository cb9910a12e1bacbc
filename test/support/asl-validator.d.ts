/** Types for `asl-validator` v4 (the package ships none). */
declare module 'asl-validator' {
  /** One problem asl-validator found. */
  export interface AslValidatorError {
    'Error code': string;
    Message?: string;
    [key: string]: unknown;
  }
  /** Validates an ASL definition; mutates it (adds `QueryLanguage` to states): pass a clone. */
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: AslValidatorError[]; errorsText: (separator?: string) => string };
}
