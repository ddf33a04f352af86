import { isChannelName, type ChannelName } from '@ns/contracts';

// Unknown `?subscribe=` names quoted in the one error that refuses them.
const MAX_NAMED_UNKNOWN = 10;

/** The `unknown_channel` error refusing every unknown name of a `?subscribe=` list at once. */
export interface UnknownChannels {
  readonly message: string;
  readonly details: { channels: string[]; count: number };
}

/**
 * Splits the channels of `?subscribe=` into known ones — distinct, in first-seen order, so at most one
 * subscribe per channel however long the URL is — and one error naming the unknown ones (the first
 * ten, each clipped to 64 characters).
 */
export function parseAutoSubscribe(names: readonly string[]): { channels: ChannelName[]; unknown: UnknownChannels | undefined } {
  const distinct = [...new Set(names)];
  const channels = distinct.filter((n): n is ChannelName => isChannelName(n));
  const unknownNames = distinct.filter((n) => !isChannelName(n));
  if (unknownNames.length === 0) return { channels, unknown: undefined };
  const shown = unknownNames.slice(0, MAX_NAMED_UNKNOWN).map((n) => n.slice(0, 64));
  const more = unknownNames.length > shown.length ? ` and ${unknownNames.length - shown.length} more` : '';
  const listed = shown.map((n) => JSON.stringify(n)).join(', ');
  return {
    channels,
    unknown: {
      message: `unknown channel${unknownNames.length === 1 ? '' : 's'} in ?subscribe=: ${listed}${more}`,
      details: { channels: shown, count: unknownNames.length },
    },
  };
}
