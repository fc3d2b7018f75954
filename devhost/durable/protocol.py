"""Durable Task wire facts shared with the SDK: history event and action types, event building, times."""

from __future__ import annotations

from datetime import UTC, datetime

TERMINAL = ("Completed", "Failed", "Terminated")
OUT_OF_PROC_MARKER = "\n\n$OutOfProcData$:"

# History event types (EventType integers).
EXECUTION_STARTED, EXECUTION_COMPLETED, EXECUTION_FAILED, EXECUTION_TERMINATED = 0, 1, 2, 3
TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
TIMER_CREATED, TIMER_FIRED = 10, 11
ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED = 12, 13
EVENT_RAISED, CONTINUE_AS_NEW = 15, 16
SUSPENDED, RESUMED = 19, 20
EVENT_NAMES = {
    0: "ExecutionStarted", 1: "ExecutionCompleted", 2: "ExecutionFailed", 3: "ExecutionTerminated",
    4: "TaskScheduled", 5: "TaskCompleted", 6: "TaskFailed", 7: "SubOrchestrationInstanceCreated",
    8: "SubOrchestrationInstanceCompleted", 9: "SubOrchestrationInstanceFailed", 10: "TimerCreated",
    11: "TimerFired", 12: "OrchestratorStarted", 13: "OrchestratorCompleted", 14: "EventSent",
    15: "EventRaised", 16: "ContinueAsNew", 19: "ExecutionSuspended", 20: "ExecutionResumed",
}
COMPLETIONS = (TASK_COMPLETED, TASK_FAILED, SUB_COMPLETED, SUB_FAILED)

# Events the SDK's replay ignores (TaskOrchestrationExecutor.process_event acts only on
# OrchestratorStarted, ExecutionStarted, ContinueAsNew, EventSent and completions): kept in the stored
# history, left out of the replay payload because the SDK parses every event's timestamp with dateutil
# (~70 us each). tests/devhost/test_sdk_contract.py checks the SDK still gives the same answer.
REPLAY_SKIP = {TASK_SCHEDULED, SUB_CREATED, TIMER_CREATED, ORCHESTRATOR_COMPLETED, EXECUTION_COMPLETED,
               EXECUTION_FAILED, EXECUTION_TERMINATED, SUSPENDED, RESUMED}

# Action types in the SDK's output.
A_ACTIVITY, A_ACTIVITY_RETRY, A_SUB, A_SUB_RETRY, A_CONTINUE_AS_NEW, A_TIMER, A_WAIT_EVENT = 0, 1, 2, 3, 4, 5, 6
A_CALL_ENTITY, A_CALL_HTTP, A_SIGNAL_ENTITY = 7, 8, 9
ID_TAKING_ACTIONS = {A_ACTIVITY, A_ACTIVITY_RETRY, A_SUB, A_SUB_RETRY, A_TIMER, A_CALL_ENTITY, A_CALL_HTTP,
                     A_SIGNAL_ENTITY}


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def event(event_type: int, ts: datetime, event_id: int = -1, **fields) -> dict:
    return {"EventType": event_type, "EventId": event_id, "IsPlayed": False, "Timestamp": iso(ts), **fields}


def execution_started(ts: datetime, name: str, version: str, input_text: str | None, instance_id: str,
                      execution_id: str, **fields) -> dict:
    """ExecutionStarted: the SDK reads `context.version` from its Version (required; "" = none)."""
    return event(EXECUTION_STARTED, ts, Name=name, Version=version, Input=input_text,
                 OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id}, **fields)


def flatten_actions(actions) -> list[dict]:
    out: list[dict] = []

    def walk(a):
        if isinstance(a, list):
            for x in a:
                walk(x)
        elif "compoundActions" in a:
            for x in a["compoundActions"]:
                walk(x)
        else:
            out.append(a)

    walk(actions or [])
    return out
