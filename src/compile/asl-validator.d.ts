// asl-validator 4 ships no typings. It MUTATES the definition it checks (adds QueryLanguage): pass a copy.
declare module "asl-validator" {
  interface AslValidatorError {
    "Error code": string;
    Message: string;
    path?: string;
  }
  interface AslValidatorOptions {
    checkPaths: boolean;
    checkArn: boolean;
  }
  function validator(definition: unknown, options?: AslValidatorOptions): { isValid: boolean; errors: AslValidatorError[] };
  export = validator;
}
