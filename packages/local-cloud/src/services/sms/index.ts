import type { IncomingMessage, ServerResponse } from "node:http";
import { signingName } from "../../protocol";
import type { CarrierEngine, LocalContext, LocalResource, ServiceEmulator } from "../../types";
import { handleSmsVoice } from "./end-user-messaging";
import { type SmsCountryStats, SmsModel, type SmsOptions, type SmsRecord } from "./model";
import { handlePinpoint } from "./pinpoint";
import { messagesView, statsView } from "./views";

export type { SmsCountryStats, SmsOptions, SmsRecord } from "./model";

/**
 * The local SMS carrier: AWS End User Messaging SMS (`sms-voice`, PinpointSMSVoiceV2 `SendTextMessage`,
 * AWS JSON 1.0) and Amazon Pinpoint (`mobiletargeting`, `SendMessages`, REST-JSON). Every message is
 * recorded (delivered, throttled or invalid) and each destination country has a sending limit in message
 * parts per second, taken from the stack's `switchyard:sms-throttle` config, enforced as AWS reports it:
 *
 * - `SendTextMessage` over the limit: `ThrottlingException` (HTTP 400, `__type` ...#ThrottlingException,
 *   `Message`), which `services/sms-throttle/src/adapters/end-user-messaging.ts` maps to "throttled".
 *   Invalid input: `ValidationException` with `Reason` and `Fields: [{ Name, Message }]` naming the field
 *   (`FIELD_VALIDATION_FAILED` for the model's constraints, `INVALID_PARAMETER` for a number that is
 *   well-formed but not a valid phone number; both permanent for the adapter). An origination identity
 *   other than the config's (`endUserMessaging.originationIdentityArn` and each country's
 *   `origination.endUserMessaging.originationIdentityArn`, or their ids): `ResourceNotFoundException`.
 * - `SendMessages`: HTTP 200 with a per-address `MessageResult` (`DeliveryStatus`, `StatusCode`,
 *   `StatusMessage`, `MessageId`): `SUCCESSFUL`/200, `THROTTLED`/429 over the limit, `PERMANENT_FAILURE`/400
 *   for an invalid number (`services/sms-throttle/src/adapters/pinpoint.ts` maps them to sent / throttled /
 *   permanent). Over the account's API rate (4,000 requests/s by default, `pinpointRequestsPerSecond`) the
 *   whole call is refused with `TooManyRequestsException` (HTTP 429).
 *
 * Limits (parts per second): a listed country's `capPartsPerSecond`; every other country the catch-all
 * `catchAll.partsPerSecond`, SHARED by all unlisted countries together by default (key `*`), because
 * sms-throttle models the catch-all as one lane (`sms-throttle-other`) with one budget for all of them: the carrier
 * enforces exactly the budget the sender promises to keep. (Real carriers limit per country; pass
 * `catchAllScope: "perCountry"` for that.) `options.limits` overrides per code, `*` for the catch-all.
 * Without any limit for a country it is not throttled. Each limit is a token bucket over parts with a
 * capacity of one second of the rate (plus `toleranceMs` of jitter, less than one part), refilled
 * continuously: a sender that keeps its budget in every one-second window never sees a throttle, one that
 * bursts above the cap does. A throttled message takes no tokens. `DryRun` sends are validated and
 * limited to min(5, limit) parts per second (as AWS documents) on a bucket of their own, and not recorded.
 *
 * Parts are counted with the count sms-throttle uses (GSM-7 160/153, UCS-2 70/67; `@switchyard/contracts/sms`); the
 * country comes from the E.164 number (libphonenumber-js).
 *
 * Nothing is provisioned: the carrier reads the config lazily on the first message (it is fixed for the
 * engine's life). Views: `GET /_local/sms/messages[?country=DE&status=THROTTLED&provider=pinpoint&limit=N]`,
 * `/_local/sms/limits`, `/_local/sms/stats`.
 *
 * Layout: model.ts (the carrier without HTTP: records, token buckets, stats, the config read on first use),
 * limits.ts (the `switchyard:sms-throttle` config reader, the parts bucket and the one-second window), api.ts
 * (the two operations, `sendTextMessage` and `sendMessages`, with their validation), end-user-messaging.ts (the
 * AWS JSON 1.0 codec of `sms-voice`), pinpoint.ts (the REST-JSON codec of `mobiletargeting`), phone.ts (E.164
 * parsing and masking), errors.ts, views.ts (`/_local/sms/...`); this file wires them, with the engine
 * interface (`CarrierEngine`). There is no provisioning.ts: nothing is provisioned.
 */

/** The local carrier: an emulator, the `CarrierEngine`, and its richer views. */
export interface SmsCarrier extends ServiceEmulator, CarrierEngine {
  /** Every recorded message, oldest first (a copy). */
  records(): SmsRecord[];
  /** Counters per country and for the shared catch-all (`*`), as `GET /_local/sms/stats` serves them. */
  stats(): Record<string, SmsCountryStats>;
}

/**
 * Creates the local SMS carrier (signing names `sms-voice` and `mobiletargeting`). See the module comment
 * for the wire shapes, the limits and the views.
 */
export function createSms(ctx: LocalContext, options: SmsOptions = {}): SmsCarrier {
  const model = new SmsModel(ctx, options);
  return {
    signingNames: ["sms-voice", "mobiletargeting"],
    provision(_resource: LocalResource): void {
      // Nothing to provision: the carrier's limits come from the stack config, read on first use.
    },
    handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
      if (signingName(req) === "mobiletargeting") handlePinpoint(model, req, res, body);
      else handleSmsVoice(model, req, res, body);
    },
    adminRoutes: {
      "sms/messages": (query) => messagesView(model, query),
      "sms/limits": () => model.limits(),
      "sms/stats": () => statsView(model),
    },
    records: () => [...model.records],
    limits: () => model.limits(),
    stats: () => statsView(model),
  };
}
