/**
 * Slack files are private: `url_private` opens only with the bot token (files:read) and otherwise
 * answers 200 with an HTML login page, which the engine's downloader refuses by content type.
 * History keeps only the file id (and the URL seen then), so a thread resumed later resolves the
 * file again here; files.info supplies the URL when none was kept.
 */
import type { WebClient } from '@slack/web-api';
import type { AttachmentResolver, AttachmentSource } from '../../engine/types.js';
import { AttachmentError } from '../../errors.js';
import type { AttachmentRef } from '../../store/types.js';
import { slackErrorCode } from './web-api.js';

export function createSlackResolver(client: WebClient, botToken: string): AttachmentResolver {
  return async (ref: AttachmentRef): Promise<AttachmentSource> => {
    const headers = { Authorization: `Bearer ${botToken}` };
    if (ref.url) return { url: ref.url, headers };
    try {
      const info = await client.files.info({ file: ref.id });
      const url = info.file?.url_private_download ?? info.file?.url_private;
      if (!url) throw new AttachmentError('not_a_file', ref.name, `Slack file ${ref.id} has no private URL`);
      return { url, headers };
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
