// Value types the configuration schemas share: sizes and durations with units, positive integers.
import { z } from 'zod';
import { DURATION_PATTERN, SIZE_PATTERN, parseDuration, parseSize } from './units.js';

export const size = z
  .union([z.number().int().nonnegative(), z.string().regex(SIZE_PATTERN, 'expected bytes, e.g. 1048576 or "1MiB"')])
  .transform(parseSize);

export const duration = z
  .union([z.number().int().nonnegative(), z.string().regex(DURATION_PATTERN, 'expected milliseconds, e.g. 500 or "1s"')])
  .transform(parseDuration);

export const positiveInt = z.number().int().positive();
