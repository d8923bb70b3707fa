import { describe, expect, it } from "vitest";
import { countSmsParts as countParts } from "../src/sms-parts";

const gsm = (n: number) => "a".repeat(n);
const ucs = (n: number) => "ж".repeat(n);

describe("countSmsParts", () => {
  it.each([
    ["empty", "", "GSM-7", 0, 0],
    ["1 GSM-7 char", gsm(1), "GSM-7", 1, 1],
    ["160 GSM-7 chars fit one part", gsm(160), "GSM-7", 160, 1],
    ["161 GSM-7 chars need two parts of 153", gsm(161), "GSM-7", 161, 2],
    ["306 GSM-7 chars fill two parts of 153", gsm(306), "GSM-7", 306, 2],
    ["307 GSM-7 chars need three parts", gsm(307), "GSM-7", 307, 3],
    ["extension chars count two septets: 80 x € = 160", "€".repeat(80), "GSM-7", 160, 1],
    ["81 x € = 162 septets: two parts", "€".repeat(81), "GSM-7", 162, 2],
    ["an escape pair is not split at 153: 152 + € needs two parts", `${gsm(152)}€${gsm(8)}`, "GSM-7", 162, 2],
    ["GSM-7 accents (é, ü, Ä) stay GSM-7", `${"é".repeat(100)}${"ü".repeat(60)}`, "GSM-7", 160, 1],
    ["70 UCS-2 chars fit one part", ucs(70), "UCS-2", 70, 1],
    ["71 UCS-2 chars need two parts of 67", ucs(71), "UCS-2", 71, 2],
    ["134 UCS-2 chars fill two parts", ucs(134), "UCS-2", 134, 2],
    ["135 UCS-2 chars need three parts", ucs(135), "UCS-2", 135, 3],
    ["one non-GSM char turns 160 GSM chars into UCS-2", `${gsm(159)}ж`, "UCS-2", 160, 3],
    ["an emoji is two UTF-16 units: 35 emoji = 70 units", "😀".repeat(35), "UCS-2", 70, 1],
    ["a surrogate pair is not split at 67: 66 + emoji", `${ucs(66)}😀${ucs(3)}`, "UCS-2", 71, 2],
    ["a surrogate pair straddling 67 moves to the next part", `${ucs(66)}😀${ucs(66)}😀`, "UCS-2", 136, 3],
  ])("%s", (_name, text, encoding, units, parts) => {
    // Act
    const counted = countParts(text);

    // Assess
    expect(counted).toEqual({ encoding, units, parts });
  });
});
