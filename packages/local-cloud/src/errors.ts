/**
 * Base class of every error the local cloud throws: AWS errors its emulators answer with (`LocalServiceError`),
 * a `--persist` folder in use (`PersistFolderLockedError`), an undecodable CBOR body (`CborError`).
 */
export class LocalCloudError extends Error {
  override name = "LocalCloudError";
}
