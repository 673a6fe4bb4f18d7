// A detection rule: which curves (db, measurement, fields, a tag filter), which detector with which
// parameters, where alerts go and how often. One schema for the config file's `rules` and the admin
// API's `/admin/rules`.
import { z } from 'zod';
import { duration, positiveInt } from './primitives.js';
import { FilterSyntaxError, parseTagFilter } from './rule-filter.js';

const probability = z.number().gt(0).lt(1);
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The time between two points of a curve, for the algorithms that compare with past days (a day must be a whole number of them). */
const dayDivider = duration.refine((ms) => ms >= 1000 && 86_400_000 % ms === 0, 'expected at least 1s, dividing a day (e.g. "1m", "5m", "10s")');
const INTERVAL_HELP = 'Time between two points of the curve: points are bucketed by it, and a day is 86400000 / interval of them.';
const interval = dayDivider.prefault('1m').describe(INTERVAL_HELP);
/** Metis' windows reach 180 points past the same time yesterday: a day must hold more than that. */
const metisInterval = dayDivider
  .refine((ms) => 86_400_000 / ms > 180, 'Metis compares 180 points either side of the same time yesterday: a day must hold more than 180 points (an interval of at most 6m)')
  .prefault('1m')
  .describe(INTERVAL_HELP);

const spotFamily = {
  q: probability.prefault(1e-4).describe('Risk: probability of a false alarm per point.'),
  level: probability.prefault(0.98).describe('Calibration quantile taken as the peak threshold.'),
  calibration: positiveInt.prefault(1000).describe('Points that calibrate the threshold before the first decision.'),
  maxPeaks: positiveInt.prefault(200).describe('Peaks kept per series for the fit (the newest): a refit costs about 1 µs per peak kept.'),
  onset: z.number().int().nonnegative().prefault(0).describe('Onsets only: an anomaly only when its score is above every score of this many points before it (0: off).'),
};

export const algorithmSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('spot'), ...spotFamily }).strict(),
  z.object({ type: z.literal('bispot'), ...spotFamily }).strict(),
  z.object({ type: z.literal('dspot'), ...spotFamily, depth: positiveInt.prefault(10).describe('Points of the moving mean.') }).strict(),
  z.object({ type: z.literal('bidspot'), ...spotFamily, depth: positiveInt.prefault(10).describe('Points of the moving mean.') }).strict(),
  z
    .object({
      type: z.literal('metis-value'),
      votes: z.number().int().min(1).max(3).prefault(2).describe('Filters (3-sigma, EWMA, polynomial) that must fire.'),
      polynomialThreshold: z.number().positive().prefault(0.15).describe('Relative deviation from the polynomial fit that fires.'),
      interval: metisInterval,
    })
    .strict(),
  z.object({ type: z.literal('metis-rate'), sigmas: z.number().positive().prefault(3), interval: metisInterval }).strict(),
  z.object({ type: z.literal('robust'), window: positiveInt.prefault(360), k: z.number().positive().prefault(3.5), onset: spotFamily.onset }).strict(),
  z
    .object({
      type: z.literal('context'),
      calibration: positiveInt.min(20).max(10_000).prefault(1000).describe('Points that fix the value range and the season (looked for in the last 2000 of them), and teach the first contexts, before the first decision.'),
      levels: z.number().int().min(2).max(16).prefault(4).describe('Levels the calibration range is cut into.'),
      maxContext: z.number().int().min(1).max(8).prefault(7).describe('Longest context looked up, in points: up to ceil(maxContext / 2) two-point aggregates, two points apart.'),
      seasonal: z.boolean().prefault(true).describe('Also compare with one season ago when the calibration points show a season.'),
      rest: z.number().int().nonnegative().prefault(0).describe('A point is reported only when its novelty is above every novelty of this many points before it (0: calibration / 5).'),
      threshold: z.number().gt(0).lt(1).prefault(0.99).describe('Rarity (1 − the share of earlier novelties at least as high) at which a reported point is an anomaly.'),
      nearSeen: z.number().min(0).max(1).prefault(0.5).describe('Weight of a new context that is one level off a seen one in an older aggregate (1: as new as any other).'),
      maxEntries: positiveInt.max(100_000).prefault(2000).describe('Contexts kept per view and curve; past that, those seen once are forgotten (a curve\'s state grows with them: 5.3 KB of JSON at 373 on a noisy curve).'),
    })
    .strict(),
  z
    .object({
      type: z.literal('seasonal-esd'),
      period: positiveInt.describe('Points per season (a day of 1-minute points: 1440).'),
      periods: z.number().int().min(2).prefault(7).describe('Past seasons whose same phase makes the expected value (their median).'),
      window: z.number().int().min(10).prefault(60).describe('Newest points whose residuals the ESD test runs on.'),
      interval,
      alpha: probability.prefault(0.05),
      maxShare: probability.prefault(0.02),
    })
    .strict(),
]);

export const ruleSchema = z
  .object({
    name: z.string().regex(RULE_NAME, 'expected 1-63 letters, digits, "_", "." or "-"').describe('Unique rule name.'),
    db: z.string().min(1),
    measurement: z.string().min(1),
    fields: z.array(z.string().min(1)).min(1).describe('Fields checked; each (series, field) is one curve.'),
    filter: z
      .string()
      .prefault('')
      .superRefine((filter, ctx) => {
        try {
          parseTagFilter(filter);
        } catch (err) {
          if (err instanceof FilterSyntaxError) ctx.addIssue({ code: 'custom', message: err.message });
          else throw err;
        }
      })
      .describe("Tag filter, e.g. host =~ /web.*/ AND region = 'eu' (empty: every series)."),
    algorithm: algorithmSchema,
    webhooks: z.array(z.url({ protocol: /^https?$/ })).prefault([]).describe('URLs that get a POST per alert.'),
    cooldown: duration.prefault('10m').describe('After an alert of a series, no other alert of it for this long.'),
    enabled: z.boolean().prefault(true),
  })
  .strict();

export type Rule = z.infer<typeof ruleSchema>;

const algorithmKeys = new WeakMap<Rule, string>();

/** The rule's algorithm as JSON, made once per rule object: a curve's state (or loaded history) is for one algorithm. */
export function algorithmKey(rule: Rule): string {
  let key = algorithmKeys.get(rule);
  if (key === undefined) {
    key = JSON.stringify(rule.algorithm);
    algorithmKeys.set(rule, key);
  }
  return key;
}
