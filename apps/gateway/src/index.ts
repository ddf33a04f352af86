export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { loadConfig, ConfigError, type GatewayConfig, type AuthConfig } from './config.js';
export { ENV_VARS, type EnvVarSpec, type EnvVarName } from './env-vars.js';
export { DemoTraffic } from './demo-traffic.js';
