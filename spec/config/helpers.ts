import { expect } from 'chai';
import { ConfigError } from '../../lib/model/errors';

/** The ConfigError `run` throws; fails the test when it throws nothing or something else. */
export function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail('expected a ConfigError, but nothing was thrown');
}

/** The issues of the ConfigError `run` throws, each as `path: message`. */
export function issuesOf(run: () => unknown): string[] {
  return configErrorOf(run).issues.map((issue) => `${issue.path}: ${issue.message}`);
}
