export * from './path-rewrite';
export * from './route-table';
export * from './target';
export * from './route-ids';
