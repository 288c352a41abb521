/**
 * Slack files are private: `url_private` opens only with the bot token (files:read) and otherwise
 * answers 200 with an HTML login page, which the engine's downloader refuses by content type.
 * History keeps only the file id (and the URL seen then), so a thread resumed later resolves the
 * file again here; files.info supplies the URL when none was kept.
 *
 * The token goes to Slack's file host only (files.slack.com, or the SLACK_API_URL origin). A remote
 * file (files.remote.add: `is_external`, `mode: "external"`) has a URL chosen by whoever added it,
 * so it, and any URL off Slack's host, is fetched without credentials under the public-host policy
 * (or refused by it, and the user is told).
 */
import type { WebClient } from '@slack/web-api';
import type { OutboundPolicy } from '../../engine/outbound-policy.js';
import type { AttachmentResolver, AttachmentSource } from '../../engine/types.js';
import { AttachmentError } from '../../errors.js';
import type { AttachmentRef } from '../../store/types.js';
import { slackErrorCode } from './web-api.js';

/** Where Slack serves `url_private` and `url_private_download`. */
export const SLACK_FILE_ORIGIN = 'https://files.slack.com';

/** Any public host, no credentials: for remote files and URLs off Slack's file host. */
const PUBLIC_HOSTS: OutboundPolicy = {};

/**
 * @param apiUrl SLACK_API_URL when set (GovSlack, tests): its origin serves files too and is trusted.
 */
export function createSlackResolver(
  client: WebClient,
  botToken: string,
  apiUrl?: string,
): AttachmentResolver {
  const apiOrigin = apiUrl ? new URL(apiUrl).origin : undefined;
  const fileOrigins = apiOrigin ? [SLACK_FILE_ORIGIN, apiOrigin] : [SLACK_FILE_ORIGIN];
  const hostedPolicy: OutboundPolicy = {
    allowedOrigins: fileOrigins,
    credentialOrigins: fileOrigins,
    trustedOrigins: apiOrigin ? [apiOrigin] : [],
  };
  const sourceFor = (url: string, external: boolean): AttachmentSource =>
    !external && fileOrigins.includes(originOf(url))
      ? { url, headers: { Authorization: `Bearer ${botToken}` }, policy: hostedPolicy }
      : { url, policy: PUBLIC_HOSTS };

  return async (ref: AttachmentRef): Promise<AttachmentSource> => {
    // Refs of remote files are stored without a URL (normalize.ts), so they always come through files.info.
    if (ref.url) return sourceFor(ref.url, false);
    try {
      const info = await client.files.info({ file: ref.id });
      const file = info.file;
      const external = file?.is_external === true || file?.mode === 'external';
      const url = external
        ? (file?.url_private ?? file?.external_url)
        : (file?.url_private_download ?? file?.url_private);
      if (!url) throw new AttachmentError('not_a_file', ref.name, `Slack file ${ref.id} has no private URL`);
      return sourceFor(url, external);
    } catch (error) {
      if (error instanceof AttachmentError) throw error;
      throw new AttachmentError(
        'download_failed',
        ref.name,
        `files.info failed: ${slackErrorCode(error) ?? 'error'}`,
        {
          cause: error,
        },
      );
    }
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}
