import { CHANNEL_NAMES, PERMISSIONS, ROLES } from '@ns/contracts';
import { envHelpSection } from '../env-docs.js';

/** The `ns-gateway --help` text: commands, client options, exit codes and every NS_* variable. */
export function helpText(): string {
  const vars = envHelpSection();
  return `ns-gateway — the NetSentinel real-time gateway

Usage:
  ns-gateway [start] [--demo]               run the gateway (configured by the environment below)
  ns-gateway tail <channel…> [options]      print events as they arrive
  ns-gateway publish <file|-> [options]     publish events from a JSON object, array, {"events": […]} or NDJSON
  ns-gateway token --sub <id> [options]     mint an access token for this gateway (prints it)
  ns-gateway check-token <jwt>              verify a token as this gateway would; who, permissions, channels, expiry
  ns-gateway check-config                   validate the environment, print the effective configuration
  ns-gateway demo-publish [--url] [--key]   publish start --demo's synthetic traffic to a gateway until stopped
  ns-gateway connections [--user <user>]    list live connections on every instance (admin)
  ns-gateway presence <channel>             who is subscribed to a channel, on every instance (admin)
  ns-gateway disconnect --user <u> | --id <c_…> [--reason <text>]   close connections on every instance (admin)
  ns-gateway revoke --jti <id> [--expires-at <t>] | --user <u> [--before <t>]   revoke a token or a user's tokens (admin)
  ns-gateway --help | --version

start:
  --demo                  also publish synthetic NetSentinel traffic (SSH brute force, port scans, alerts,
                          status, metrics) through POST /v1/publish, so the console shows live data

tail:
  <channel…>              ${CHANNEL_NAMES.join(', ')}, or all
  --filter <json>         server-side filter for every channel, e.g. '{"min_score":7}'
  --filter <ch>=<json>    filter for one channel, e.g. threats='{"levels":["critical"]}' (repeatable)
  --url <url>             gateway URL [NS_GATEWAY_URL, else http://127.0.0.1:8080]
  --token <jwt>           token for protected channels [NS_TOKEN] (prefer the variable: argv is visible to ps)
  --json | --pretty       one JSON envelope per line | one readable line per event
                          [pretty on a terminal, json otherwise]
  --count <n>             exit after n events

publish:
  <file|->                the events; - reads stdin
  --url <url>             gateway URL [NS_GATEWAY_URL, else http://127.0.0.1:8080]
  --key <key>             API key [NS_PUBLISH_KEY] (prefer the variable: argv is visible to ps)
  --batch-size <n>        events per request, at most 1000 [1000]
  --results               print each result ({id, channel, seq}) as a JSON line on stdout
  --quiet                 no progress on stderr
  Every event is validated locally first; if any is invalid nothing is sent.

token (signs with NS_JWT_SECRET, HS256; adds iss/aud from NS_JWT_ISSUER/NS_JWT_AUDIENCE):
  --sub <id>              the user id (sub claim), required
  --username <name>       username claim
  --roles <r,…>           ${ROLES.join(', ')} (viewer, analyst: read every channel; admin: also publish)
  --permissions <p,…>     ${PERMISSIONS.join(', ')}
  --ttl <duration>        lifetime: 90s, 15m, 1h, 7d [1h]
  --private-key <file>    sign with this PEM private key instead (RSA, EC, Ed25519), for a gateway
                          configured with NS_JWT_PUBLIC_KEY_FILE

check-token:
  <jwt>                   the token [NS_TOKEN]; exit 0 valid, 3 refused (the reason is printed)
  --json                  one JSON object instead of text

connections, presence, disconnect, revoke (the admin API; a JWT with the admin permission):
  --url <url>             gateway URL [NS_GATEWAY_URL, else http://127.0.0.1:8080]
  --token <jwt>           [NS_GATEWAY_TOKEN, else NS_TOKEN] (prefer the variables: argv is visible to ps)
  --user <user>           a token subject (sub): connections lists only theirs, disconnect closes all of them
  --id <connection id>    disconnect: one connection (as connections lists it)
  --reason <text>         disconnect: told to the client in the close frame (4003), at most 80 characters

revoke (admin): refused everywhere, live connections closed with 4001 on every instance:
  --jti <id>              one token, by its jti claim; --expires-at <t>: its exp (Unix seconds or ISO time)
  --user <user>           every token of the user issued before --before <t> (default: now)
  --json                  the API's JSON answer instead of a table

check-config:             exit 0 when start would accept the environment, 2 when not (secrets masked)

Exit codes:
  0  success
  1  the gateway refused the input, or the operation failed
  2  bad usage, unreadable input, or invalid configuration (one line names the variable)
  3  credentials missing or refused
  4  gateway unreachable or unavailable

Environment (gateway configuration, validated at start; [default]):
${vars}

Client variables (tail, publish, demo-publish, check-token, connections, presence, disconnect, revoke): NS_GATEWAY_URL, NS_GATEWAY_TOKEN, NS_TOKEN, NS_PUBLISH_KEY.
`;
}
