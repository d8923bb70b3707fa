import { routeS3Event } from "@switchyard/routing";
import { type PulumiMocks, setupPulumiMocks } from "@switchyard/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { S3EventPipeline } from "../src/index";

const ALARMS = "arn:aws:sns:us-east-1:123456789012:ops-alarms";

describe("routing through the synthesized pipeline (routeS3Event)", () => {
  let mocks: PulumiMocks;
  let bucket: string;
  beforeAll(async () => {
    mocks = await setupPulumiMocks();
    new S3EventPipeline("route", { alarmTopicArn: ALARMS, filterPrefix: "uploads/" });
    const uploads = await mocks.findResource("aws:s3/bucket:Bucket", "route-uploads");
    bucket = String(uploads.outputs.bucket);
  });

  it.each([
    [
      "a create under the prefix reaches renditions and catalog",
      "ObjectCreated:Put",
      "uploads/photo.jpg",
      ["route-created-topic"],
      ["route-renditions-queue", "route-catalog-queue"],
      ["route-renditions-function", "route-catalog-function"],
    ],
    [
      "a multipart create reaches the same consumers",
      "ObjectCreated:CompleteMultipartUpload",
      "uploads/big video.mp4",
      ["route-created-topic"],
      ["route-renditions-queue", "route-catalog-queue"],
      ["route-renditions-function", "route-catalog-function"],
    ],
    [
      "a delete reaches cleanup",
      "ObjectRemoved:Delete",
      "uploads/photo.jpg",
      ["route-deleted-topic"],
      ["route-cleanup-queue"],
      ["route-cleanup-function"],
    ],
    [
      "a delete marker reaches cleanup",
      "ObjectRemoved:DeleteMarkerCreated",
      "uploads/photo.jpg",
      ["route-deleted-topic"],
      ["route-cleanup-queue"],
      ["route-cleanup-function"],
    ],
    ["a create outside the prefix reaches nothing", "ObjectCreated:Put", "other/photo.jpg", [], [], []],
    [
      "a rendition-like key outside the prefix reaches nothing",
      "ObjectCreated:Put",
      "renditions/320/uploads/a.jpg",
      [],
      [],
      [],
    ],
  ])("%s", async (_case, eventName, key, topics, queues, functions) => {
    // Act
    await mocks.settle();
    const route = routeS3Event(mocks.resources, { bucket, eventName, key });

    // Assess
    expect(route.topicNames).toEqual(topics);
    expect([...route.queueNames].sort()).toEqual([...queues].sort());
    expect([...route.functionNames].sort()).toEqual([...functions].sort());
  });
});
