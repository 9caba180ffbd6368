import type { UserConfig } from 'vitest/config';
export declare function packageConfig(
  root: string,
  name: string,
  extra?: Record<string, unknown>,
): UserConfig;
