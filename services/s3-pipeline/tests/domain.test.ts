import { notificationIdFor } from "@switchyard/contracts";
import { compareSequencers } from "@switchyard/runtime-kit";
import { describe, expect, it } from "vitest";
import {
  eventKind,
  imageContentType,
  removalScope,
  renditionKey,
  renditionsReadyNotification,
} from "../src/domain/objects";
import { padSequencer } from "../src/domain/sequencer";
import { sniffContentType } from "../src/domain/sniff";
import { image } from "./fakes";

describe("padSequencer", () => {
  it.each([
    ["FF", "100"],
    ["0055B3B2F1E8", "0055B3B2F1E9"],
    ["9", "0A"],
    ["00000000000000000A", "B"],
  ])("orders %s before %s as strings, as compareSequencers does", (older, newer) => {
    // Act
    const [a, b] = [padSequencer(older), padSequencer(newer)];

    // Assess
    expect(a < b).toBe(true);
    expect(compareSequencers(older, newer)).toBe(-1);
    expect(a).toHaveLength(64);
  });

  it("pads equal sequencers of different widths to the same string", () => {
    expect(padSequencer("00AB")).toBe(padSequencer("ab"));
  });

  it.each(["", "xyz", "1".repeat(65)])("refuses %j", (sequencer) => {
    expect(() => padSequencer(sequencer)).toThrow(RangeError);
  });
});

describe("objects", () => {
  it.each([
    ["ObjectCreated:Put", "created"],
    ["ObjectCreated:CompleteMultipartUpload", "created"],
    ["ObjectRemoved:Delete", "removed"],
    ["ObjectRemoved:DeleteMarkerCreated", "removed"],
    ["ObjectRestore:Completed", "other"],
  ])("%s is %s", (eventName, kind) => {
    expect(eventKind(eventName)).toBe(kind);
  });

  it.each([
    ["image/jpeg", "image/jpeg"],
    ["IMAGE/PNG; charset=binary", "image/png"],
    ["image/webp", "image/webp"],
    ["image/gif", undefined],
    ["application/pdf", undefined],
    [undefined, undefined],
  ])("content type %j is image %j", (header, type) => {
    expect(imageContentType(header)).toBe(type);
  });

  it("puts renditions under renditions/<width>/<key>", () => {
    expect(renditionKey(320, "uploads/a b+c.jpg")).toBe("renditions/320/uploads/a b+c.jpg");
  });

  it.each([
    ["ObjectRemoved:Delete", "v1", { kind: "version", versionId: "v1" }],
    ["ObjectRemoved:Delete", undefined, { kind: "object" }],
    ["ObjectRemoved:DeleteMarkerCreated", "marker-1", { kind: "object" }],
  ])("a %s of version %j removes %j", (eventName, versionId, scope) => {
    expect(removalScope(eventName, versionId)).toEqual(scope);
  });

  it("builds an actionable notification with the key in the callback", () => {
    expect(
      renditionsReadyNotification({
        userId: "u-1",
        key: "uploads/2024/cat.png",
        upload: "v7",
        widths: [320],
        callbackUrl: "https://app.example.com/media?tab=uploads",
      }),
    ).toEqual({
      userId: "u-1",
      type: "actionable",
      message: "Your image cat.png is ready in 1 sizes (320 px).",
      callback: "https://app.example.com/media?tab=uploads&key=uploads%2F2024%2Fcat.png",
      // The same upload always gives the same id: the notifications inbox stores and shows it once.
      notificationId: notificationIdFor("s3:uploads/2024/cat.png#v7"),
    });
  });
});

describe("sniffContentType", () => {
  it.each(["jpeg", "png", "webp"] as const)("recognises a generated %s by its bytes", async (format) => {
    // Prepare
    const bytes = await image(format, 8, 8);

    // Act / Assess
    expect(sniffContentType(bytes.subarray(0, 16))).toBe(`image/${format}`);
  });

  it.each([
    [Buffer.from("GIF89a......"), "image/gif"],
    [Buffer.from("%PDF-1.7\n"), "application/pdf"],
    [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0]), "application/zip"],
    [Buffer.from("hello, world\n"), "text/plain"],
    [Buffer.from([0x00, 0x01, 0x02]), "application/octet-stream"],
    [Buffer.alloc(0), "application/octet-stream"],
  ])("recognises %j as %s", (bytes, type) => {
    expect(sniffContentType(bytes)).toBe(type);
  });
});
