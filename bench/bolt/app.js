// A Bolt for JS baseline for mpc-bot's benchmarks (bot/bench_bolt_test.go):
// /mpc-add <number | @person> over Socket Mode, done the simplest idiomatic
// way: ack(), then one PHLO "call" request with fetch, then chat.postMessage
// with the outcome. No pacing, no retries, no database.
//
// Configured by environment variables:
//   SLACK_BOT_TOKEN, SLACK_APP_TOKEN   the bot (xoxb-) and app-level (xapp-) tokens
//   SLACK_API_URL                      Web API base URL, e.g. http://127.0.0.1:1234/api/
//                                      (default https://slack.com/api/); apps.connections.open
//                                      is called there too, and the websocket URL it answers is dialled as is
//   PHLO_BASE_URL                      default https://phlorunner.plivo.com
//   PHLO_ID, PHLO_NODE_ID              the PHLO and its Multi-Party Call node
//   PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN    basic auth for the PHLO runner
//   DIRECTORY                          JSON {"U…": "+1…"}: numbers known without asking Slack
//   DEFAULT_COUNTRY_CODE               for profile phones written without one (default 1)
// It prints "connected" once Slack said hello.
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const env = process.env;
const phloURL = `${env.PHLO_BASE_URL ?? 'https://phlorunner.plivo.com'}/v1/phlo/${env.PHLO_ID}/multi_party_call/${env.PHLO_NODE_ID}`;
const plivoAuth = `Basic ${Buffer.from(`${env.PLIVO_AUTH_ID}:${env.PLIVO_AUTH_TOKEN}`).toString('base64')}`;
const directory = JSON.parse(env.DIRECTORY ?? '{}');
const profilePhones = new Map(); // user ID -> number from their profile, for the process's life

const app = new App({
  token: env.SLACK_BOT_TOKEN,
  appToken: env.SLACK_APP_TOKEN,
  socketMode: true,
  logLevel: LogLevel.WARN,
  clientOptions: env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {},
});

// e164 turns a profile phone such as "020 7946 0000" into "+442079460000".
function e164(phone) {
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits === '' || digits.startsWith('+')) return digits;
  return `+${env.DEFAULT_COUNTRY_CODE ?? '1'}${digits.replace(/^0/, '')}`;
}

// numberOf finds a person's number: the directory, else their Slack profile.
async function numberOf(client, user) {
  if (directory[user]) return directory[user];
  if (!profilePhones.has(user)) {
    const res = await client.users.info({ user });
    profilePhones.set(user, e164(res.user?.profile?.phone ?? ''));
  }
  return profilePhones.get(user);
}

app.command('/mpc-add', async ({ command, ack, client }) => {
  await ack();
  const mention = command.text.trim().match(/^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/);
  let text;
  try {
    const to = mention ? await numberOf(client, mention[1]) : command.text.trim();
    const caller = await numberOf(client, command.user_id);
    if (!to || !caller) {
      text = `:x: I don't know ${to ? 'your' : 'their'} number.`;
    } else {
      const res = await fetch(phloURL, {
        method: 'POST',
        headers: { Authorization: plivoAuth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'call', to, role: 'agent', trigger_source: caller }),
      });
      const body = await res.json().catch(() => ({}));
      text = res.ok
        ? `:white_check_mark: Plivo is dialling ${to} (api_id ${body.api_id}).`
        : `:x: Could not add ${to}: HTTP ${res.status} ${body.error ?? ''}`;
    }
  } catch (err) {
    text = `:x: Could not add: ${err.message}`;
  }
  await client.chat.postMessage({ channel: command.channel_id, text });
});

(async () => {
  await app.start();
  console.log('connected');
})();
