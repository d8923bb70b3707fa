import type { Readable } from "node:stream";
import { PermanentError, TransientError } from "@switchyard/runtime-kit";
import sharp from "sharp";
import type { ImageContentType } from "../constants";

export interface Rendition {
  width: number;
  /** The width actually produced: never larger than the source (no upscaling). */
  actualWidth: number;
  height: number;
  contentType: ImageContentType;
  data: Buffer;
}

/** Decoding is capped at this many pixels (a 100-megapixel image), against decompression bombs. */
export const MAX_INPUT_PIXELS = 100_000_000;

/**
 * Streams an image through sharp once and produces one rendition per width, in the source's format.
 * An image sharp cannot decode is a PermanentError (retrying cannot help); a failing source stream is a
 * TransientError (S3 dropped the connection: a retry can succeed).
 */
export async function resizeImage(
  source: Readable,
  widths: readonly number[],
  contentType: ImageContentType,
): Promise<Rendition[]> {
  let streamError: unknown;
  source.once("error", (error) => {
    streamError = error;
  });
  const decoder = sharp({ failOn: "error", limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true });
  source.pipe(decoder);
  try {
    return await Promise.all(
      widths.map(async (width) => {
        const pipeline = decoder.clone().rotate().resize({ width, withoutEnlargement: true });
        const formatted =
          contentType === "image/png"
            ? pipeline.png()
            : contentType === "image/webp"
              ? pipeline.webp()
              : pipeline.jpeg({ mozjpeg: true });
        const { data, info } = await formatted.toBuffer({ resolveWithObject: true });
        return { width, actualWidth: info.width, height: info.height, contentType, data };
      }),
    );
  } catch (error) {
    if (streamError !== undefined) {
      throw new TransientError(`reading the image from S3 failed: ${describe(streamError)}`, {
        cause: streamError,
      });
    }
    throw new PermanentError(`the image cannot be decoded as ${contentType}: ${describe(error)}`, {
      cause: error,
    });
  } finally {
    source.unpipe(decoder);
    source.destroy();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
