// OCI hooks. Not implemented yet: config.json's hooks are refused (lib/spec/config.ts).
export const SUPPORTED_HOOKS: readonly string[] = [];
