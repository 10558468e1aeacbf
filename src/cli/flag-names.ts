import { AppError } from '../core/index.js';

/** Core field names (as the API says them) and the flags a CLI user typed for them; dotted ones first. */
const FLAGS: [string, string][] = [
  ['member.id', 'ID'],
  ['member.name', '--name'],
  ['member.headline', '--headline'],
  ['member.imageUrl', '--image-url'],
  ['member.company', '--company'],
  ['member.industry', '--industry'],
  ['member.location', '--location'],
  ['member.publicIdentifier', '--public-identifier'],
  ['member.profileUrl', '--profile-url'],
  ['member.plan', '--plan'],
  ['member.visibility', '--visibility'],
  ['memberId', '--member'],
  ['credits', '--credits'],
  ['workspace id', '--workspace'],
];

/**
 * The core names fields as the API does (memberId, member.plan); the CLI user typed flags.
 * Rewrites a core error so it names the flag (`--member`), keeping its code and details.
 */
export function flagNames(err: AppError): AppError {
  let message = err.message;
  for (const [field, flag] of FLAGS) message = message.split(field).join(flag);
  return new AppError(err.code, message, err.details);
}
