import Type, { type Static, type TObject } from 'typebox';
import { awsConfig, baseConfig, loadConfig, servicePort } from '@peak/service-kit';

const address = '[^\\s@<>]+@[^\\s@<>]+\\.[^\\s@<>]+';

export const configSchema = {
  ...baseConfig,
  PORT: servicePort(4002),
  ...awsConfig,
  SES_FROM_ADDRESS: Type.String({
    pattern: `^(${address}|[^<>]+ <${address}>)$`,
    default: 'Peak Fitness <hello@peakfitness.example>',
    description: 'Sender of every email, `address` or `Name <address>`; in AWS an SES-verified identity',
  }),
  PUBLIC_BASE_URL: Type.Optional(
    Type.String({
      format: 'uri',
      pattern: '^https?://',
      description: 'Public URL of this service, used in unsubscribe links (default http://127.0.0.1:<PORT>)',
    }),
  ),
};

export type Config = Static<TObject<typeof configSchema>> & { PUBLIC_BASE_URL: string };

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadConfig(configSchema, env);
  // The default depends on PORT, which a static schema default cannot express.
  return { ...config, PUBLIC_BASE_URL: (config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/+$/, '') };
}
