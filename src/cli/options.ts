import { InvalidArgumentError } from 'commander';

export function parsePortOption(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a TCP port (1-65535)`);
  }
  return Number(value);
}

export function parseSecondsOption(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a positive number of seconds`);
  }
  return Number(value);
}
