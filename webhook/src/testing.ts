/** Test helpers shared by the webhook's tests (not used at run time). */
import { defaultInjectionConfig, type InjectionConfig, parseInjectionConfig } from './core/config';

/** A fixed config for golden files: they must not change with the package version. */
export function testConfig(overrides: Record<string, unknown> = {}): InjectionConfig {
  return parseInjectionConfig({ image: 'skein:test', version: '0.0.0-test', ...overrides }, defaultInjectionConfig('0.0.0-test'));
}
