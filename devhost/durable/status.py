"""The instance status and history JSON of the Durable HTTP API (statusQueryGetUri and friends)."""

from __future__ import annotations

import json

from devhost.durable.protocol import (
    EVENT_NAMES,
    EXECUTION_STARTED,
    ORCHESTRATOR_COMPLETED,
    ORCHESTRATOR_STARTED,
    SUB_CREATED,
    TASK_SCHEDULED,
)


def _load(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def status_json(row, *, show_input: bool = True, history: list[dict] | None = None) -> dict:
    out = {
        "name": row["name"],
        "instanceId": row["id"],
        "runtimeStatus": row["status"],
        "input": _load(row["input"]) if show_input else None,
        "customStatus": _load(row["custom_status"]),
        "output": _load(row["output"]),
        "createdTime": row["created"][:19] + "Z",
        "lastUpdatedTime": row["updated"][:19] + "Z",
    }
    if row["version"]:  # as the extension: present only for an instance created with a version
        out["version"] = row["version"]
    if history is not None:
        out["historyEvents"] = history
    return out


def public_history(events: list[str], show_output: bool) -> list[dict]:
    out = []
    for text in events:
        e = json.loads(text)
        t = e["EventType"]
        if t in (ORCHESTRATOR_STARTED, ORCHESTRATOR_COMPLETED):
            continue
        item = {"EventType": EVENT_NAMES.get(t, str(t)), "Timestamp": e["Timestamp"][:23] + "Z"}
        for key in ("Name", "InstanceId", "FireAt", "TaskScheduledId", "TimerId", "OrchestrationStatus",
                    "Reason"):
            if e.get(key) is not None:
                named_function = key == "Name" and t in (EXECUTION_STARTED, TASK_SCHEDULED, SUB_CREATED)
                item["FunctionName" if named_function else key] = e[key]
        if e.get("EventId", -1) >= 0:
            item["EventId"] = e["EventId"]
        if show_output:
            for key in ("Result", "Input"):
                if e.get(key) is not None:
                    try:
                        item[key] = json.loads(e[key])
                    except (ValueError, TypeError):
                        item[key] = e[key]
        out.append(item)
    return out
