import { I, list, type OperationShapes, S, struct } from "../../wire/shapes";
import { OPERATIONS as MODEL_OPERATIONS, XMLNS } from "./shapes";

export { XMLNS };

/**
 * The query shapes of every SQS operation served: AWS's model (`shapes.ts`, generated) plus what came
 * after the query protocol's last model (message move tasks, `MessageSystemAttributeNames`), written as
 * AWS's query serializers write them (flattened members, `<ListMessageMoveTasksResultEntry>`).
 */
const ReceiveMessage = MODEL_OPERATIONS.ReceiveMessage as OperationShapes;
const MoveTaskEntry = struct({
  TaskHandle: S,
  Status: S,
  SourceArn: S,
  DestinationArn: S,
  MaxNumberOfMessagesPerSecond: I,
  ApproximateNumberOfMessagesMoved: I,
  ApproximateNumberOfMessagesToMove: I,
  FailureReason: S,
  StartedTimestamp: I,
});

export const QUERY_OPERATIONS: Record<string, OperationShapes> = {
  ...MODEL_OPERATIONS,
  ReceiveMessage: {
    ...ReceiveMessage,
    input: struct({
      ...Object.fromEntries(
        Object.entries(ReceiveMessage.input.members).map(([name, member]) => [
          name,
          member.name ? { named: true as const, shape: member.shape, name: member.name } : member.shape,
        ]),
      ),
      MessageSystemAttributeNames: list(S, { flat: true, member: "MessageSystemAttributeName" }),
    }),
  },
  StartMessageMoveTask: {
    input: struct({ SourceArn: S, DestinationArn: S, MaxNumberOfMessagesPerSecond: I }),
    output: struct({ TaskHandle: S }),
    result: "StartMessageMoveTaskResult",
  },
  CancelMessageMoveTask: {
    input: struct({ TaskHandle: S }),
    output: struct({ ApproximateNumberOfMessagesMoved: I }),
    result: "CancelMessageMoveTaskResult",
  },
  ListMessageMoveTasks: {
    input: struct({ SourceArn: S, MaxResults: I }),
    output: struct({
      Results: list(MoveTaskEntry, { flat: true, member: "ListMessageMoveTasksResultEntry" }),
    }),
    result: "ListMessageMoveTasksResult",
  },
};
