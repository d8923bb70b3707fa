import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalCloudError, LocalServiceError } from "../src/index";
import { lockPersistFolder, PersistFolderLockedError } from "../src/persist/lock";
import { CborError, decodeCbor } from "../src/wire/cbor";

describe("LocalCloudError (the package's one base error class)", () => {
  it("is what an emulator's AWS error is", () => {
    const error = new LocalServiceError("QueueDoesNotExist", "The specified queue does not exist.");
    expect(error).toBeInstanceOf(LocalCloudError);
    expect(error.name).toBe("LocalServiceError");
  });

  it("is what a second lock on a --persist folder throws", () => {
    const dir = mkdtempSync(join(tmpdir(), "lc-errors-"));
    const unlock = lockPersistFolder(dir);
    try {
      const second = () => lockPersistFolder(dir);
      expect(second).toThrow(PersistFolderLockedError);
      expect(second).toThrow(LocalCloudError);
    } finally {
      unlock();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is what an undecodable CBOR body throws", () => {
    const decode = () => decodeCbor(new Uint8Array([0x62, 0x61])); // a 2-byte text string with 1 byte
    expect(decode).toThrow(CborError);
    expect(decode).toThrow(LocalCloudError);
  });
});
