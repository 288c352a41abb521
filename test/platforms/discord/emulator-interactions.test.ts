/**
 * The emulator's interaction limits, asked directly over HTTP as Discord would be: autocomplete
 * results of at most 25 choices, modal shapes, the 5 follow-ups of a user-installed app, forced
 * ephemeral answers, and no channel access in a server the bot is not in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateModal } from '../../emulators/discord/interaction-responses.js';
import { type DiscordEmulator, startDiscordEmulator } from '../../emulators/discord/server.js';

let discord: DiscordEmulator;

beforeAll(async () => {
  discord = await startDiscordEmulator();
});
afterAll(async () => {
  await discord?.close();
});

async function call(method: string, path: string, body?: unknown, bot = false) {
  const response = await fetch(`${discord.apiUrl}/v10${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(bot ? { authorization: `Bot ${discord.token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const callback = (id: string, token: string, body: unknown) =>
  call('POST', `/interactions/${id}/${token}/callback`, body);

describe('autocomplete results', () => {
  it('accepts 25 choices and refuses 26 with 50035', async () => {
    const choices = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i}`, value: `m${i}` }));
    const typed = () =>
      discord.interaction({
        kind: 'autocomplete',
        name: 'model',
        channelId: discord.channels.general,
        options: [{ name: 'name', type: 3, value: '', focused: true }],
      });
    const ok = typed();
    expect((await callback(ok.id, ok.token, { type: 8, data: { choices: choices(25) } })).status).toBe(204);
    const tooMany = typed();
    const refused = await callback(tooMany.id, tooMany.token, { type: 8, data: { choices: choices(26) } });
    expect(refused).toMatchObject({ status: 400, body: { code: 50035 } });
    // An autocomplete interaction takes choices only.
    const wrong = typed();
    expect((await callback(wrong.id, wrong.token, { type: 5 })).body).toMatchObject({ code: 50035 });
  });
});

describe('modals', () => {
  const modal = (title: string, label = 'Question') => ({
    custom_id: 'm',
    title,
    components: [{ type: 1, components: [{ type: 4, custom_id: 'q', style: 2, label }] }],
  });

  it('checks the title and text inputs', () => {
    expect(validateModal(modal('Ask'))).toBeUndefined();
    expect(validateModal(modal('t'.repeat(46)))).toMatchObject({ code: 50035 });
    expect(validateModal(modal('Ask', 'l'.repeat(46)))).toMatchObject({ code: 50035 });
    expect(validateModal({ ...modal('Ask'), components: [] })).toMatchObject({ code: 50035 });
  });

  it('a modal cannot answer a modal submit', async () => {
    const submit = discord.interaction({
      kind: 'modal-submit',
      customId: 'x',
      fields: { q: 'hi' },
      channelId: discord.channels.general,
    });
    expect((await callback(submit.id, submit.token, { type: 9, data: modal('Ask') })).body).toMatchObject({
      code: 50035,
    });
  });
});

describe('a user-installed app in a server the bot is not in', () => {
  it('gets at most 5 follow-ups (40094), answers forced ephemeral, and no channel access', async () => {
    const channelId = discord.foreignChannel();
    const interaction = discord.interaction({
      kind: 'command',
      name: 'ask',
      channelId,
      installation: 'user',
      options: [{ name: 'prompt', type: 3, value: 'hi' }],
    });
    expect((await callback(interaction.id, interaction.token, { type: 5 })).status).toBe(204);
    const followUp = () =>
      call('POST', `/webhooks/${discord.state.applicationId}/${interaction.token}`, { content: 'part' });
    for (let i = 0; i < 5; i++) expect((await followUp()).status).toBe(200);
    expect(await followUp()).toMatchObject({ status: 400, body: { code: 40094 } });
    // Without Use External Apps, Discord shows the answers to the user only.
    const shown = [interaction.originalMessageId!, ...interaction.followUpIds].map(
      (id) => discord.state.messages.get(id)!.flags & 64,
    );
    expect(shown.every((flag) => flag === 64)).toBe(true);
    const send = await call('POST', `/channels/${channelId}/messages`, { content: 'hello' }, true);
    expect(send).toMatchObject({ status: 403, body: { code: 50001 } });
  });
});
