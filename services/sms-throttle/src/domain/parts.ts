/**
 * Message parts as carriers count them: the one count in `@switchyard/contracts/sms`, shared with the local
 * cloud's carrier so the sender's budgets and the carrier's caps agree on every message.
 */
export {
  countSmsParts as countParts,
  type SmsEncoding,
  type SmsPartCount as PartCount,
  smsEncoding,
} from "@switchyard/contracts/sms";
