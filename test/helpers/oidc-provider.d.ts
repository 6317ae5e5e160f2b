// oidc-provider ships no types; the tests use a small part of it.
declare module 'oidc-provider' {
  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    [key: string]: any;
  }
  export const errors: { InvalidTarget: new (description?: string) => Error; [name: string]: new (...args: any[]) => Error };
}
