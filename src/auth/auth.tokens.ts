export const AUTH_SERVICE = Symbol('AUTH_SERVICE');
