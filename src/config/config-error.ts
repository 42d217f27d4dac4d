/** Thrown at boot when the environment or a config file is invalid; names every bad key at once. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}
