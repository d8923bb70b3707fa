import { describe, expect, it } from "vitest";
import { page } from "../src/services/lambda/api";
import { functionNameOf } from "../src/services/lambda/model";

describe("lambda function names", () => {
  it("reads the name and qualifier of a name, an ARN, a partial ARN or an API Gateway integration URI", () => {
    expect(functionNameOf("orders")).toEqual({ name: "orders", qualifier: undefined });
    expect(functionNameOf("orders:$LATEST")).toEqual({ name: "orders", qualifier: "$LATEST" });
    expect(functionNameOf("arn:aws:lambda:eu-west-1:123456789012:function:orders")).toEqual({
      name: "orders",
      qualifier: undefined,
    });
    expect(functionNameOf("arn:aws:lambda:eu-west-1:123456789012:function:orders:live")).toEqual({
      name: "orders",
      qualifier: "live",
    });
    expect(functionNameOf("123456789012:function:orders:3")).toEqual({ name: "orders", qualifier: "3" });
    const arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders";
    expect(
      functionNameOf(
        `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`,
      ),
    ).toEqual({ name: "orders", qualifier: undefined });
  });
});

describe("lambda list paging", () => {
  const items = Array.from({ length: 5 }, (_, index) => index);

  it("returns MaxItems items and the marker of the next page, none after the last", () => {
    const first = page(items, { MaxItems: "2" }, "Items");
    expect(first).toEqual({ Items: [0, 1], NextMarker: Buffer.from("2").toString("base64") });
    const last = page(items, { MaxItems: "3", Marker: String(first.NextMarker) }, "Items");
    expect(last).toEqual({ Items: [2, 3, 4] });
  });

  it("defaults to 50 items and clamps MaxItems to at least 1", () => {
    expect(page(items, {}, "Functions")).toEqual({ Functions: items });
    expect(page(items, { MaxItems: "abc" }, "Functions")).toEqual({ Functions: items });
    expect(page(items, { MaxItems: "-3" }, "Functions")).toEqual({
      Functions: [0],
      NextMarker: Buffer.from("1").toString("base64"),
    });
  });
});
